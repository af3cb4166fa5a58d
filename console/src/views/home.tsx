/** The start page: the domains and types that hold entities (listTypes), and the server's readiness. */
import { request } from '../api.js';
import { href } from '../router.js';
import { Empty, ErrorNote, useAsync } from '../ui.js';
import { Health } from './health.js';

interface TypeCount {
  domain: string;
  type: string;
  count: string;
}

const LIST_TYPES = `query ConsoleListTypes($input: ListTypesOpts!) {
  listTypes(input: $input) { types { domain type count } }
}`;

export function Home() {
  const [types, reload] = useAsync(
    () =>
      request<{ listTypes: { types: TypeCount[] } }>(LIST_TYPES, { input: { limit: 1000 } }).then(
        (d) => d.listTypes.types,
      ),
    [],
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
        {types.status === 'loading' && <p aria-busy="true">Loading…</p>}
        {types.status === 'error' && <ErrorNote error={types.error} title="Could not list the types" />}
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
