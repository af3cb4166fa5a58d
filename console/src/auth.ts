/**
 * The JWT the console sends, kept in localStorage under `stategate.token` (GraphiQL at /api/graphql reads the
 * same key to prefill its Authorization header). Only the token is stored; nothing is sent anywhere but this
 * server.
 */
export const TOKEN_KEY = 'stategate.token';

export function storedToken(): string | null {
  try {
    const token = localStorage.getItem(TOKEN_KEY);
    return token && token.trim() !== '' ? token.trim() : null;
  } catch {
    return null; // storage disabled: the console still works without a token
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives for this page only
  }
}

/** The claims of a JWT, read without verifying it (the server verifies; this is only for showing `sub`/`exp`). */
export function readClaims(token: string): Record<string, unknown> | null {
  const part = token.replace(/^bearer\s+/i, '').split('.')[1];
  if (!part) return null;
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const text = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const claims = JSON.parse(text) as unknown;
    return claims !== null && typeof claims === 'object' ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
