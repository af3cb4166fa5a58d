import type { GraphiQLOptions } from 'graphql-yoga';

/** Where the web console keeps the JWT its login took (localStorage); GraphiQL sends it as a bearer token. */
export const CONSOLE_TOKEN_KEY = 'stategate.token';

/** GraphiQL's second tab: the live event stream (the first is the seed mutation). */
export const GRAPHIQL_STREAM_QUERY = `# Live entity changes as they are committed. domain, type and key are globs (* and ?);
# add \`after: "<position>"\` to replay the log after a position first. Run the setEntity tab to see one arrive.
subscription StreamEvents {
  streamEvents(input: { domain: "accounting", type: "*" }) {
    position
    method
    entity {
      type
      key
      version
      values
    }
  }
}
`;

/** Stands in the rendered options for the headers, which only the browser knows (its localStorage). */
const HEADERS_PLACEHOLDER = '__stategate_graphiql_headers__';

/**
 * The headers editor's starting text, computed in the page: `{"Authorization": "Bearer <token>"}` when the
 * console's login stored a token, else `{}`. Storage may be off (private mode): then no header.
 */
const HEADERS_FROM_LOGIN = `(function () {
  try {
    var token = window.localStorage.getItem(${JSON.stringify(CONSOLE_TOKEN_KEY)});
    if (token) return JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2);
  } catch (e) {}
  return '{}';
})()`;

/**
 * A GraphiQL page renderer whose every asset (script, styles, editor workers, favicon) is inside the page:
 * `@graphql-yoga/render-graphiql` bundles what Yoga's default loads from a CDN, so GraphiQL works offline.
 * Opens on two tabs (the seed mutation and a `streamEvents` subscription), subscribes over SSE (plain HTTP,
 * so the Authorization header applies to subscriptions as to queries), and prefills that header from the
 * console's login. The page (about 9 MB) is rendered once, on the first visit: the renderer and its assets
 * are loaded only then, so a server nobody opens GraphiQL on does not hold them in memory.
 */
export function createGraphiqlRenderer(seedQuery: string): (options: GraphiQLOptions) => Promise<string> {
  let page: Promise<string> | undefined;
  return (options) => {
    page ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) =>
      renderGraphiQL({
        ...options,
        subscriptionsProtocol: 'SSE',
        headers: HEADERS_PLACEHOLDER,
        defaultHeaders: HEADERS_PLACEHOLDER,
        defaultTabs: [
          { query: seedQuery, headers: HEADERS_PLACEHOLDER },
          { query: GRAPHIQL_STREAM_QUERY, headers: HEADERS_PLACEHOLDER },
        ],
      }).replaceAll(JSON.stringify(HEADERS_PLACEHOLDER), HEADERS_FROM_LOGIN),
    );
    return page;
  };
}
