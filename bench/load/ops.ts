/**
 * The requests of the bench, by name: what one call `n` sends. HTTP ops are a method, path and body (so
 * autocannon can replay them); gRPC ops are a call on the connect-node clients.
 */

export interface OpParams {
  domain?: string;
  type?: string;
  /** Calls cycle over this many entity keys. */
  keys?: number;
  /** GraphQL endpoint path (Yoga's own default is /graphql). */
  graphqlPath?: string;
  headers?: Record<string, string>;
}

export interface HttpRequestSpec {
  method: string;
  path: string;
  body?: string;
  headers: Record<string, string>;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The values of every write: a small document, like the README's examples. */
export const valuesFor = (n: number) => ({ first_name: 'Coleman', last_name: 'Word', title: 'CFO', n });

const SET = 'mutation ($input: EntityInput!) { setEntity(input: $input) }';
const GET = 'query ($input: EntityRefInput!) { getEntity(input: $input) { domain type key values version } }';

export function httpOp(op: string, p: OpParams): (n: number) => HttpRequestSpec {
  const domain = p.domain ?? 'bench';
  const type = p.type ?? 'doc';
  const keys = p.keys ?? 1000;
  const extra = p.headers ?? {};
  const ref = (n: number) => `/api/entity/ref/${domain}/${type}/k${n % keys}`;
  switch (op) {
    case 'hello':
      return () => ({ method: 'GET', path: '/', headers: extra });
    case 'rest.set':
      return (n) => ({
        method: 'POST',
        path: ref(n),
        body: JSON.stringify({ values: valuesFor(n) }),
        headers: { ...JSON_HEADERS, ...extra },
      });
    case 'rest.get':
      return (n) => ({ method: 'GET', path: ref(n), headers: extra });
    case 'rest.search':
      return () => ({
        method: 'GET',
        path: `/api/entity/search?domain=${domain}&type=${type}&limit=100`,
        headers: extra,
      });
    case 'gql.hello':
      return () => ({
        method: 'POST',
        path: p.graphqlPath ?? '/graphql',
        body: '{"query":"{ hello }"}',
        headers: { ...JSON_HEADERS, ...extra },
      });
    case 'gql.set':
      return (n) => ({
        method: 'POST',
        path: '/api/graphql',
        body: JSON.stringify({
          query: SET,
          variables: { input: { domain, type, key: `k${n % keys}`, values: valuesFor(n) } },
        }),
        headers: { ...JSON_HEADERS, ...extra },
      });
    case 'gql.get':
      return (n) => ({
        method: 'POST',
        path: '/api/graphql',
        body: JSON.stringify({ query: GET, variables: { input: { domain, type, key: `k${n % keys}` } } }),
        headers: { ...JSON_HEADERS, ...extra },
      });
    default:
      throw new Error(`unknown http op ${op}`);
  }
}
