import { ConfigError, loadConfig, storageForLog } from './config/config.js';
import { createLogger } from './logger.js';
import { startApp } from './server/app.js';
import { isStartupError } from './startup-error.js';

/** Starts stategate from the environment, stops it cleanly on SIGTERM / SIGINT, reloads TLS on SIGHUP. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`stategate: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const app = await startApp(config, logger);
  logger.info(
    {
      url: app.url,
      graphql: `${app.url}/api/graphql`,
      ...(config.console ? { console: `${app.url}/console` } : {}),
      storage: storageForLog(config.storage),
      cache: config.cache.name,
    },
    'stategate listening',
  );
  if (config.protectedMode) {
    logger.warn(
      { host: config.host },
      'protected mode: no authentication is configured, so stategate listens on loopback only; set STATEGATE_AUTH_DISABLED=true to serve other hosts without authentication',
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app
      .close()
      .then(() => {
        logger.info({}, 'stopped');
        process.exit(0);
      })
      .catch((err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A renewed certificate is picked up without a restart; the listener also keeps SIGHUP from ending
  // the process (its default), which a terminal hang-up or a config-reload habit would otherwise do.
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading TLS certificate');
    app.reloadTls();
  });
}

main().catch((err) => {
  // A configuration the operator must fix: the message says what, a stack trace would only hide it.
  if (isStartupError(err)) {
    process.stderr.write(`stategate: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `stategate: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
