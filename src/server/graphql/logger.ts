import { GraphQLError } from 'graphql';
import type { YogaLogger } from 'graphql-yoga';
import { findStategateError, rootError } from './errors.js';

/** The logging the GraphQL server needs; pino's logger satisfies it. */
export interface GraphqlLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

type Level = keyof GraphqlLogger;

function split(args: unknown[]): { obj: Record<string, unknown>; msg: string | undefined } {
  const obj: Record<string, unknown> = {};
  const words: string[] = [];
  for (const arg of args) {
    if (typeof arg === 'string') words.push(arg);
    else if (arg instanceof Error) obj.err = arg;
    else if (arg !== undefined) obj.detail = arg;
  }
  return { obj, msg: words.length > 0 ? words.join(' ') : undefined };
}

/**
 * Yoga's logger on top of ours. Yoga reports at `error` every error that `maskError` replaced: a
 * StategateError with a client-facing code (NOT_FOUND, ABORTED, …) is an answer, not a fault, so it goes
 * to `debug`; anything else is a server fault, logged whole (its innermost cause as `err`) at `error`.
 */
export function createYogaLogger(logger: GraphqlLogger): YogaLogger {
  const forward =
    (level: Level) =>
    (...args: unknown[]) => {
      const { obj, msg } = split(args);
      logger[level](obj, msg === undefined ? 'graphql' : `graphql: ${msg}`);
    };
  return {
    debug: forward('debug'),
    info: forward('info'),
    warn: forward('warn'),
    error: (...args: unknown[]) => {
      const error = args.find((arg) => arg instanceof Error);
      const coded = findStategateError(error);
      if (coded && coded.code !== 'INTERNAL') {
        logger.debug({ code: coded.code, err: coded }, 'graphql: request failed');
        return;
      }
      if (error) {
        const path = error instanceof GraphQLError ? error.path?.join('.') : undefined;
        logger.error({ err: rootError(error), path }, 'graphql: unexpected error');
        return;
      }
      forward('error')(...args);
    },
  };
}
