import { pino } from 'pino';

/** Structured JSON logs on stdout (pino); errors are serialized whole under `err`. */
export function createLogger(level: string) {
  return pino({
    level,
    base: { service: 'stategate' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

export type AppLogger = ReturnType<typeof createLogger>;
