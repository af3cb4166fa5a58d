/** The start page: the domains and types that hold entities (listTypes), and the server's readiness. */
import { useState } from 'preact/hooks';
import { request } from '../api.js';
import { href, navigate } from '../router.js';
import { Empty, ErrorNote, Field, useAsync } from '../ui.js';
import { Health } from './health.js';

interface TypeCount {
  domain: string;
  type: string;
  count: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const LIST_TYPES = `query ConsoleListTypes($input: ListTypesOpts!) {
  listTypes(input: $input) { types { domain type count } }
}`;

/** `domain` (from `?domain=`): only that domain's types, for a token whose policy allows just some domains. */
export function Home({ domain }: { domain: string }) {
  const [draft, setDraft] = useState(domain);
  const [types, reload] = useAsync(
    () =>
      request<{ listTypes: { types: TypeCount[] } }>(LIST_TYPES, {
        input: { limit: 1000, ...(domain ? { domain } : {}) },
      }).then((d) => d.listTypes.types),
    [domain],
  );
  return (
    <>
      <section aria-labelledby="types-title">
        <div class="title-row">
          <h1 id="types-title">Entities by domain and type</h1>
          <button type="button" onClick={reload}>
            Refresh
          </button>
        </div>
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            navigate(draft.trim() ? `${href('')}?domain=${encodeURIComponent(draft.trim())}` : href(''));
          }}
        >
          <Field label="Domain (optional)" hint="empty = every domain your token may list">
            <input name="domain" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          </Field>
          <button type="submit">Show</button>
        </form>
        {types.status === 'loading' && <p aria-busy="true">Loading…</p>}
        {types.status === 'error' && (
          <>
            <ErrorNote error={types.error} title="Could not list the types" />
            {!domain && <p class="hint">If your token may read only some domains, name one above.</p>}
          </>
        )}
        {types.status === 'ok' && types.value.length === 0 && (
          <Empty>
            <p>
              <strong>No entities yet</strong> (or none your token may see).
            </p>
            <p>
              Create one with the <code>setEntity</code> mutation in GraphiQL at <a href="/api/graphql">/api/graphql</a>
              , or <code>POST /api/entity/ref/DOMAIN/TYPE/KEY</code>; it shows up here.
            </p>
          </Empty>
        )}
        {types.status === 'ok' && types.value.length > 0 && (
          <p data-testid="totals">
            {plural(
              types.value.reduce((sum, t) => sum + Number(t.count), 0),
              'live entity',
              'live entities',
            )}{' '}
            in {plural(types.value.length, 'type', 'types')} of{' '}
            {plural(new Set(types.value.map((t) => t.domain)).size, 'domain', 'domains')}
            {types.value.length === 1000 ? ' (the first 1000 types)' : ''}.
          </p>
        )}
        {types.status === 'ok' && types.value.length > 0 && (
          <div class="scroll">
            <table class="types">
              <thead>
                <tr>
                  <th scope="col">Domain</th>
                  <th scope="col">Type</th>
                  <th scope="col" class="num">
                    Entities
                  </th>
                </tr>
              </thead>
              <tbody>
                {types.value.map((t) => (
                  <tr key={`${t.domain}\u0000${t.type}`}>
                    <td>{t.domain}</td>
                    <td>
                      <a href={href('entities', t.domain, t.type)}>{t.type}</a>
                    </td>
                    <td class="num">{t.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <Health />
    </>
  );
}
