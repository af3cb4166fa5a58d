/**
 * Sign in with a JWT: it is sent in graphql-ws' connection_init payload, so the server verifies it and its
 * policies decide every call. Without a token the console says whether the server needs one.
 */
import { useState } from 'preact/hooks';
import { type ConnectionState, reconnect } from '../api.js';
import { readClaims, storedToken, storeToken } from '../auth.js';
import { Field } from '../ui.js';

export function Login({ connection }: { connection: ConnectionState }) {
  const [token, setToken] = useState(storedToken() ?? '');
  const saved = storedToken();
  const claims = saved ? readClaims(saved) : null;
  const exp = typeof claims?.exp === 'number' ? new Date(claims.exp * 1000) : null;

  const save = (e: Event) => {
    e.preventDefault();
    storeToken(token.trim().replace(/^bearer\s+/i, '') || null);
    reconnect();
  };
  const signOut = () => {
    storeToken(null);
    setToken('');
    reconnect();
  };

  return (
    <section aria-labelledby="login-title">
      <h1 id="login-title">Login</h1>
      <p data-testid="auth-status" role="status">
        {!saved && connection === 'connected' && (
          <>
            <strong>Authentication is off on this server</strong> (or it runs in protected mode, on loopback only): no
            token is needed. A token given anyway is ignored.
          </>
        )}
        {!saved && connection === 'unauthenticated' && (
          <>
            <strong>This server requires a JWT.</strong> Paste one below (from your identity provider).
          </>
        )}
        {saved && connection === 'connected' && (
          <>
            Signed in{typeof claims?.sub === 'string' ? ` as ${claims.sub}` : ''}
            {exp ? `, token valid until ${exp.toLocaleString()}` : ''}.
          </>
        )}
        {saved && connection === 'unauthenticated' && (
          <>
            <strong>The server refused this token</strong> (expired, wrong issuer or audience, or unknown key). Paste
            another.
          </>
        )}
        {connection === 'unreachable' && <>The server cannot be reached: check it is running.</>}
        {connection === 'connecting' && <>Connecting…</>}
      </p>
      <form class="stack narrow" onSubmit={save}>
        <Field label="JWT" hint="kept in this browser's localStorage (stategate.token); GraphiQL uses it too">
          <textarea
            name="token"
            rows={5}
            spellcheck={false}
            autocomplete="off"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </Field>
        <div class="row">
          <button type="submit">Sign in</button>
          <button type="button" onClick={signOut} disabled={!saved}>
            Sign out
          </button>
        </div>
      </form>
    </section>
  );
}
