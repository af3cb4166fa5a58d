import type { MutexLease } from '../core/model.js';
import type { GraphqlContext } from './context.js';
import { optional } from './convert.js';

export interface MutexArgs {
  domain: string;
  key: string;
  exp?: Date | null;
}

export interface MutexRefArgs {
  domain: string;
  key: string;
  token?: string | null;
}

export function lockMutex(args: { input: MutexArgs }, { api, call }: GraphqlContext): Promise<MutexLease> {
  const { domain, key, exp } = args.input;
  return api.mutex.lock(call, { domain, key, exp: optional(exp) });
}

/** `unlockMutex`: the proto answers Empty, so GraphQL answers `true`. */
export async function unlockMutex(args: { input: MutexRefArgs }, { api, call }: GraphqlContext): Promise<boolean> {
  const { domain, key, token } = args.input;
  await api.mutex.unlock(call, { domain, key, token: optional(token) });
  return true;
}
