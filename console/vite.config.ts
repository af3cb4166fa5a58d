/**
 * The web console (served at /console by the server, src/server/http/console.ts): built from these sources by
 * `npm run build` and by `npm install` / `npm start` when they changed (scripts/build-if-stale.mjs). Everything
 * it needs is bundled: no CDN, no font or script from elsewhere.
 */
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  plugins: [preact({ devToolsInProd: false, prefreshEnabled: false })],
  logLevel: 'warn',
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    // Served under a strict CSP (script-src 'self'): no inline script, no eval.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
});
