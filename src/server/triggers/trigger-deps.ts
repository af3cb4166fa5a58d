import type { Config } from '../../config/config.js';
import { isStategateError } from '../../core/errors.js';
import type { StorageProvider } from '../../core/ports/storage.js';
import { hasTriggerStore } from '../../core/ports/trigger-store.js';
import type { TriggerDeps } from '../../core/stategate.js';
import { StartupError } from '../../startup-error.js';
import { createWebhookSender } from './webhook-sender.js';

/**
 * What core needs to run triggers on this storage provider, or null when the provider cannot keep them
 * (then STATEGATE_TRIGGERS must be empty, and the trigger API answers UNIMPLEMENTED).
 */
export function triggerDeps(
  config: Config,
  storage: StorageProvider,
): { deps: TriggerDeps; startFailed(err: unknown): never; close(): void } | null {
  if (!hasTriggerStore(storage)) {
    if (config.triggers.declared.length > 0) {
      throw new StartupError(`STATEGATE_TRIGGERS: the ${storage.name} storage provider cannot keep triggers`);
    }
    return null;
  }
  const sender = createWebhookSender({ allowPrivate: config.triggers.allowPrivate });
  return {
    deps: {
      store: storage.triggerStore(),
      sender,
      declared: config.triggers.declared,
      concurrency: config.triggers.concurrency,
      leaseMs: config.triggers.leaseMs,
    },
    // A declared trigger core refused (a private target) is the operator's to fix: no stack trace.
    startFailed(err) {
      sender.close();
      if (isStategateError(err) && err.message.startsWith('STATEGATE_TRIGGERS')) throw new StartupError(err.message);
      throw err;
    },
    close: () => sender.close(),
  };
}
