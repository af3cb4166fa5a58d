/** Mutex locks: lock a key for a while and see the lease (token, fencing number, expiry), unlock it again. */
import { useEffect, useState } from 'preact/hooks';
import { request } from '../api.js';
import { ErrorNote, Field } from '../ui.js';

interface Lease {
  domain: string;
  key: string;
  exp: string;
  token: string;
  fencing: string;
}

const LOCK = `mutation ConsoleLock($input: MutexInput!) { lockMutex(input: $input) { domain key exp token fencing } }`;
const UNLOCK = `mutation ConsoleUnlock($input: MutexRefInput!) { unlockMutex(input: $input) }`;

function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

export function Mutex() {
  const [form, setForm] = useState({ domain: 'jobs', key: 'nightly-report', ttl: '30' });
  const [lease, setLease] = useState<Lease | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const now = useNow(lease !== null);
  const left = lease ? Math.max(0, Math.round((new Date(lease.exp).getTime() - now) / 1000)) : 0;

  const lock = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setMessage(null);
    try {
      const ttl = Number(form.ttl);
      const exp = form.ttl.trim() !== '' && ttl > 0 ? new Date(Date.now() + ttl * 1000).toISOString() : undefined;
      const got = await request<{ lockMutex: Lease }>(LOCK, {
        input: { domain: form.domain, key: form.key, ...(exp ? { exp } : {}) },
      });
      setLease(got.lockMutex);
    } catch (err) {
      setError(err);
    }
  };
  const unlock = async () => {
    setError(null);
    try {
      const input = lease
        ? { domain: lease.domain, key: lease.key, token: lease.token }
        : { domain: form.domain, key: form.key };
      await request(UNLOCK, { input });
      setLease(null);
      setMessage('Unlocked.');
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="mutex-title">
      <h1 id="mutex-title">Mutex locks</h1>
      <form class="stack narrow" onSubmit={lock}>
        <Field label="Domain">
          <input
            name="domain"
            value={form.domain}
            onInput={(e) => setForm({ ...form, domain: e.currentTarget.value })}
          />
        </Field>
        <Field label="Key">
          <input name="key" value={form.key} onInput={(e) => setForm({ ...form, key: e.currentTarget.value })} />
        </Field>
        <Field label="Hold for, seconds (empty = the server's default)">
          <input
            name="ttl"
            inputMode="numeric"
            value={form.ttl}
            onInput={(e) => setForm({ ...form, ttl: e.currentTarget.value })}
          />
        </Field>
        <div class="row">
          <button type="submit">Lock</button>
          <button type="button" onClick={unlock}>
            Unlock{lease ? ' (with this lease’s token)' : ''}
          </button>
        </div>
      </form>
      {error !== null && <ErrorNote error={error} />}
      {message && (
        <p class="note ok" role="status">
          {message}
        </p>
      )}
      {lease && (
        <dl class="lease" data-testid="lease">
          <dt>Held</dt>
          <dd>
            {lease.domain}/{lease.key}
          </dd>
          <dt>Token</dt>
          <dd>
            <code>{lease.token}</code>
          </dd>
          <dt>Fencing number</dt>
          <dd>{lease.fencing}</dd>
          <dt>Expires</dt>
          <dd>
            {new Date(lease.exp).toLocaleString()} ({left > 0 ? `${left} s left` : 'expired'})
          </dd>
        </dl>
      )}
    </section>
  );
}
