import type { DestinationStream } from 'pino';
import { pino } from 'pino';
import pretty from 'pino-pretty';

/**
 * Fields never written, wherever they appear one or two levels down: credentials reach log calls through
 * headers, metadata and provider configs. pino replaces their values with "[redacted]".
 */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'password',
  'token',
  'secret',
  '*.authorization',
  '*.cookie',
  '*.set-cookie',
  '*.password',
  '*.token',
  '*.secret',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.metadata.authorization',
  '*.metadata.cookie',
];

/**
 * Structured JSON logs on stdout (pino); errors are serialized whole under `err`. On a terminal the same
 * lines are printed human-readable (pino-pretty, in this thread so a crash loses no line). `destination`
 * is for tests that read the lines.
 */
export function createLogger(level: string, destination?: DestinationStream) {
  const options = {
    level,
    base: { service: 'stategate' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY) return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l' }));
  return pino(options);
}

export type AppLogger = ReturnType<typeof createLogger>;
