import { randomUUID } from 'node:crypto';

/** A provider factory: contract suites call it once per test and close what it returns. */
export type Factory<T> = () => T | Promise<T>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A name no earlier test or run used, so suites stay independent on shared backends (one Redis for
 * every test) where a memory provider would start empty anyway.
 */
export const unique = (label: string) => `${label}-${randomUUID()}`;

/** Polls until `check` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * Awaits a provider that needs an external service, and when it cannot connect fails with how to start
 * the services: provider tests fail rather than skip, so a missing service never passes for green.
 */
export async function needService<T>(service: string, provider: Promise<T>): Promise<T> {
  try {
    return await provider;
  } catch (err) {
    throw new Error(`${service} is not reachable — run scripts/services.sh up (${(err as Error).message})`, {
      cause: err,
    });
  }
}
