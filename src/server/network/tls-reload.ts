import { readFileSync } from 'node:fs';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { Logger } from '../../core/ports/logger.js';

export interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * Reads the certificate and key files again and makes them the port's for every new TLS connection
 * (open ones keep theirs), e.g. on SIGHUP after a renewal. The pair is checked first (readable PEM, key
 * matching the certificate): a failed reload keeps the current certificate and logs why, by file name
 * and OpenSSL's reason, never the file contents. True when the new pair is in use.
 */
export function reloadTls(server: TlsServer, files: TlsFiles, logger: Logger): boolean {
  let options: { cert: Buffer; key: Buffer };
  try {
    options = { cert: readFileSync(files.cert), key: readFileSync(files.key) };
    createSecureContext(options);
  } catch (err) {
    logger.error(
      { certFile: files.cert, keyFile: files.key, reason: reasonOf(err) },
      'TLS reload failed: keeping the current certificate',
    );
    return false;
  }
  server.setSecureContext(options);
  logger.info({ certFile: files.cert }, 'TLS certificate reloaded');
  return true;
}

/** The error's code and message only: its other fields (and a stack's frames) are not needed to act on it. */
function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
