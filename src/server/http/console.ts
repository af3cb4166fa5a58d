import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../core/ports/logger.js';

/** Where the console is served. */
export const CONSOLE_PATH = '/console';

/** The console's build output (`npm run build`, console/vite.config.ts), from src/ or dist/ alike. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page may load only its own files and talk only to this origin (GraphQL over graphql-ws, /readyz):
 * no CDN, no inline script, no framing. `'self'` covers ws:/wss: of the same host in CSP Level 3.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A request for the console: /console and everything under /console/. */
export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

/**
 * Serves the built console: its files with their content types under a strict CSP, and index.html for any
 * other path under /console (the console routes in the browser). GET and HEAD only. A path that names a
 * file (has an extension) but matches none is a 404, so a missing asset never turns into a page.
 */
export function createConsoleHandler(options: { root?: string; logger: Logger }) {
  const root = resolve(options.root ?? CONSOLE_DIST);
  const { logger } = options;

  async function fileOf(path: string): Promise<string | null> {
    let relative: string;
    try {
      relative = decodeURIComponent(path.slice(CONSOLE_PATH.length));
    } catch {
      return null;
    }
    if (relative.includes('\0')) return null;
    const file = resolve(root, `.${relative.startsWith('/') ? relative : `/${relative}`}`);
    // resolve() removes `..` segments: whatever is left must still be inside the build folder.
    if (file !== root && !file.startsWith(root + sep)) return null;
    const found = await stat(file).catch(() => null);
    return found?.isFile() ? file : null;
  }

  async function serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'the console answers GET and HEAD only\n', { allow: 'GET, HEAD' });
      return;
    }
    const file = await fileOf(path);
    if (file) {
      const hashed = file.includes(`${sep}assets${sep}`);
      send(res, 200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file), {
        // Vite names assets by their content hash, so they never change; index.html always may.
        'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
      return;
    }
    if (extname(path) !== '') {
      send(res, 404, 'text/plain; charset=utf-8', `no console file at ${path}\n`);
      return;
    }
    const index = await readFile(resolve(root, 'index.html')).catch(() => null);
    if (!index) {
      send(
        res,
        503,
        'text/plain; charset=utf-8',
        'the console is not built: run `npm run build` (or `npm start`, which builds what changed)\n',
      );
      return;
    }
    send(res, 200, CONTENT_TYPES['.html']!, index, { 'cache-control': 'no-cache' });
  }

  return {
    handle(req: IncomingMessage, res: ServerResponse, path: string): void {
      serve(req, res, path).catch((err: unknown) => {
        logger.error({ err, path }, 'console: serving a file failed');
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    },
  };
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': bytes.length,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}
