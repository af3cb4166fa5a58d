/** The console's frame: a skip link, the navigation, the connection state, and the page of the current route. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ConnectionState, onConnectionState } from './api.js';
import { storedToken } from './auth.js';
import { BASE, href, onLinkClick, parseRoute, useLocation } from './router.js';
import { Empty } from './ui.js';
import { Cache } from './views/cache.js';
import { Entities } from './views/entities.js';
import { EntityPage } from './views/entity.js';
import { Events } from './views/events.js';
import { Home } from './views/home.js';
import { Login } from './views/login.js';
import { Mutex } from './views/mutex.js';
import { Peers } from './views/peers.js';
import { TriggerPage } from './views/trigger.js';
import { Triggers } from './views/triggers.js';

const NAV: [string, string][] = [
  ['', 'Entities'],
  ['events', 'Live events'],
  ['peers', 'Peers'],
  ['cache', 'Cache'],
  ['mutex', 'Mutex'],
  ['triggers', 'Triggers'],
];

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  connected: 'connected',
  unauthenticated: 'sign-in needed',
  unreachable: 'server unreachable',
};

export function App() {
  const { pathname, search } = useLocation();
  const route = parseRoute(pathname);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [reason, setReason] = useState<string | undefined>();
  const main = useRef<HTMLElement>(null);
  useEffect(
    () =>
      onConnectionState((state, why) => {
        setConnection(state);
        setReason(why);
      }),
    [],
  );
  // In-app links navigate without a reload (Enter on a link is a click too).
  useEffect(() => {
    document.addEventListener('click', onLinkClick);
    return () => document.removeEventListener('click', onLinkClick);
  }, []);
  // A new page moves focus to its content, as a page load would (screen readers announce it).
  const shownPath = useRef(pathname);
  useEffect(() => {
    if (shownPath.current === pathname) return; // the first page: focus stays where the browser put it
    shownPath.current = pathname;
    main.current?.focus();
  }, [pathname]);

  const current =
    route.page === 'entities' || route.page === 'entity' ? 'home' : route.page === 'trigger' ? 'triggers' : route.page;
  const signedIn = storedToken() !== null;

  return (
    <div class="app">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <a class="brand" href={`${BASE}/`}>
          stategate
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([path, label]) => (
              <li key={path}>
                <a href={href(path)} aria-current={current === (path || 'home') ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <a
          class={`conn c-${connection}`}
          href={href('login')}
          title={reason}
          data-testid="connection"
          aria-current={route.page === 'login' ? 'page' : undefined}
        >
          {signedIn ? 'Token' : 'Login'}: {CONNECTION_TEXT[connection]}
        </a>
      </header>
      {connection === 'unauthenticated' && route.page !== 'login' && (
        <div class="note denied" role="alert">
          <strong>Sign-in needed.</strong> {reason ?? 'The server requires a JWT.'}{' '}
          <a href={href('login')}>Go to Login</a> and paste a token.
        </div>
      )}
      <main id="main" ref={main} tabIndex={-1}>
        {route.page === 'home' && <Home domain={search.get('domain') ?? ''} />}
        {route.page === 'entities' && (
          // A new type starts with a fresh form (its own filter and sort).
          <Entities key={`${route.domain}/${route.type}`} domain={route.domain} type={route.type} search={search} />
        )}
        {route.page === 'entity' && (
          <EntityPage
            key={`${route.domain}/${route.type}/${route.key}`}
            domain={route.domain}
            type={route.type}
            keyName={route.key}
          />
        )}
        {route.page === 'events' && <Events />}
        {route.page === 'peers' && <Peers />}
        {route.page === 'cache' && <Cache />}
        {route.page === 'mutex' && <Mutex />}
        {route.page === 'triggers' && <Triggers />}
        {route.page === 'trigger' && <TriggerPage key={route.name} name={route.name} />}
        {route.page === 'login' && <Login connection={connection} />}
        {route.page === 'missing' && (
          <Empty>
            <p>
              No console page at <code>{route.path}</code>. Start from <a href={`${BASE}/`}>the list of types</a>.
            </p>
          </Empty>
        )}
      </main>
    </div>
  );
}
