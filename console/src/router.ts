/**
 * Routes are paths under /console/ (the server answers index.html for any of them), so a page can be
 * bookmarked and reloaded. Segments are percent-encoded: names may hold any character but whitespace.
 */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';

export type Route =
  | { page: 'home' }
  | { page: 'entities'; domain: string; type: string }
  | { page: 'entity'; domain: string; type: string; key: string }
  | { page: 'events' }
  | { page: 'peers' }
  | { page: 'cache' }
  | { page: 'mutex' }
  | { page: 'triggers' }
  | { page: 'trigger'; name: string }
  | { page: 'login' }
  | { page: 'missing'; path: string };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split('/').filter((p) => p !== '');
  let segments: string[];
  try {
    segments = parts.map((p) => decodeURIComponent(p));
  } catch {
    return { page: 'missing', path: pathname };
  }
  const [first, ...args] = segments;
  if (first === undefined) return { page: 'home' };
  if (first === 'entities' && args.length === 2) return { page: 'entities', domain: args[0]!, type: args[1]! };
  if (first === 'entity' && args.length === 3)
    return { page: 'entity', domain: args[0]!, type: args[1]!, key: args[2]! };
  if (first === 'trigger' && args.length === 1) return { page: 'trigger', name: args[0]! };
  if (args.length === 0 && ['events', 'peers', 'cache', 'mutex', 'triggers', 'login'].includes(first)) {
    return { page: first as 'events' };
  }
  return { page: 'missing', path: pathname };
}

/** The href of a page, segments encoded. */
export function href(...segments: string[]): string {
  return `${BASE}/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

export function navigate(to: string): void {
  if (to === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The current location; re-renders on navigation. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const read = () => ({ pathname: window.location.pathname, search: new URLSearchParams(window.location.search) });
  const [location, setLocation] = useState(read);
  useEffect(() => {
    const update = () => setLocation(read());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return location;
}

/** In-app links: plain anchors (keyboard, middle-click and copy work), navigated without a reload. */
export function onLinkClick(event: MouseEvent): void {
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (!anchor || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || anchor.target) return;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin || !url.pathname.startsWith(`${BASE}/`)) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}
