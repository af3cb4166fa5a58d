import type { StategateApi } from '../../core/api.js';
import { isStategateError } from '../../core/errors.js';
import type { AccessPolicy } from '../../core/ports/access.js';
import { currentRecord } from './request-record.js';

/**
 * The access policy, telling the running request's log record who called (the verified `sub`) and which
 * methods: core's guard asks the policy about every call, so core needs no logging hook of its own.
 */
export function observeAccess(policy: AccessPolicy): AccessPolicy {
  return {
    async authenticate(ctx) {
      const claims = await policy.authenticate(ctx).catch((err: unknown) => {
        noteError(err);
        throw err;
      });
      const record = currentRecord();
      if (record && typeof claims.sub === 'string') record.sub = claims.sub;
      return claims;
    },
    async allowRequest(input) {
      currentRecord()?.methods.add(input.method);
      const allowed = await policy.allowRequest(input);
      const record = currentRecord();
      if (!allowed && record) record.code ??= 'PERMISSION_DENIED';
      return allowed;
    },
    allowResponse: (input) => policy.allowResponse(input),
  };
}

/** Methods of the API that open a stream rather than answer once. */
const STREAMS = new Set(['events.stream', 'peers.stream']);

/**
 * The core API, noting on the running request's record the code of an error core answers and whether a
 * stream was opened; transports turn the same error into their status, this keeps its gRPC name.
 */
export function observeApi(api: StategateApi): StategateApi {
  const wrap =
    (name: string, fn: (...args: never[]) => unknown) =>
    async (...args: never[]) => {
      if (STREAMS.has(name)) {
        const record = currentRecord();
        if (record) record.stream = true;
      }
      try {
        return await fn(...args);
      } catch (err) {
        noteError(err);
        throw err;
      }
    };
  const observed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(api)) {
    if (typeof value === 'function') observed[key] = wrap(key, value.bind(api));
    else if (typeof value === 'object' && value !== null) {
      const group: Record<string, unknown> = {};
      for (const [member, fn] of Object.entries(value)) {
        group[member] = typeof fn === 'function' ? wrap(`${key}.${member}`, fn.bind(value)) : fn;
      }
      observed[key] = group;
    } else observed[key] = value;
  }
  return observed as unknown as StategateApi;
}

function noteError(err: unknown): void {
  const record = currentRecord();
  if (record && isStategateError(err)) record.code ??= err.code;
}
