import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { type App, startApp } from '../../src/server/app.js';

/** A real stategate listening on a free loopback port, in this process, with its own SQLite file. */
export interface TestServer {
  app: App;
  /** http://127.0.0.1:PORT/api/graphql */
  httpUrl: string;
  /** ws://127.0.0.1:PORT/api/graphql */
  wsUrl: string;
  dataDir: string;
  dbPath: string;
  close(): Promise<void>;
}

/** Starts a server from environment variables (the same path as `npm start`), on port 0 by default. */
export async function startTestServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'stategate-test-'));
  const dbPath = join(dir, 'stategate.db');
  const config = loadConfig(
    {
      STATEGATE_PORT: '0',
      STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: dbPath }),
      STATEGATE_LOG_LEVEL: process.env.STATEGATE_TEST_LOG_LEVEL ?? 'silent',
      ...env,
    },
    dir,
  );
  const app = await startApp(config, createLogger(config.logLevel));
  const httpUrl = `${app.url}/api/graphql`;
  return {
    app,
    httpUrl,
    wsUrl: httpUrl.replace(/^http/, 'ws'),
    dataDir: dir,
    dbPath,
    async close() {
      await app.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
