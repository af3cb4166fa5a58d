import { alreadyExists, exhausted, invalid, notFound, StategateError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { StorageProvider } from '../ports/storage.js';
import type { TriggerStore } from '../ports/trigger-store.js';
import type { ReplayRequest, TriggerInput, TriggerRecord, TriggerSpec, TriggerView } from './model.js';
import type { WebhookSender } from './ports.js';
import type { TriggerEngine } from './trigger-engine.js';
import { validateFrom, validateTrigger } from './validate-trigger.js';

/** At most this many triggers: each is a lease, a worker and a few metric series per instance. */
export const MAX_TRIGGERS = 100;
/** Dead letters shown by getTrigger (the oldest first). */
const DEAD_LETTERS_SHOWN = 100;
const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TriggerServiceDeps {
  store: TriggerStore;
  storage: Pick<StorageProvider, 'headPosition'>;
  sender: WebhookSender;
  engine: TriggerEngine;
  limits: Pick<Limits, 'globLength'>;
}

/** createTrigger, listTriggers, getTrigger, deleteTrigger, replayTrigger: validation and views (never the secret). */
export class TriggerService {
  constructor(private readonly deps: TriggerServiceDeps) {}

  /**
   * The validated trigger. What the request policy sees as `body` is the trigger without its secret and
   * header values (`spec` is not enumerable, so it stays out of the policy's input and of any log of it).
   */
  validateCreate(input: TriggerInput): { spec: TriggerSpec; from: 'now' | number } {
    const spec = validateTrigger(input, this.deps.limits);
    const from = validateFrom(input?.from);
    const { secret: _secret, headers, ...visible } = spec;
    const body = { ...visible, headerNames: Object.keys(headers).sort(), from };
    return Object.defineProperty(body, 'spec', { value: spec, enumerable: false }) as typeof body & {
      spec: TriggerSpec;
    };
  }

  validateName(name: unknown): string {
    if (typeof name !== 'string' || name.length === 0 || name.length > 64) throw invalid('trigger name is required');
    return name;
  }

  validateReplay(request: ReplayRequest): { name: string; eventIds: string[] | null } {
    const name = this.validateName(request?.name);
    const ids = request.eventIds ?? [];
    if (!Array.isArray(ids) || ids.length > 1000) throw invalid('eventIds: at most 1000 event ids');
    for (const id of ids) if (typeof id !== 'string' || !EVENT_ID.test(id)) throw invalid('eventIds must be uuids');
    return { name, eventIds: ids.length === 0 ? null : ids };
  }

  async create({ spec, from }: { spec: TriggerSpec; from: 'now' | number }): Promise<TriggerView> {
    await this.deps.sender.checkTarget(spec.url);
    if ((await this.deps.store.list()).length >= MAX_TRIGGERS) throw exhausted(`at most ${MAX_TRIGGERS} triggers`);
    const position = from === 'now' ? await this.deps.storage.headPosition() : from;
    if (!(await this.deps.store.create(spec, position, Date.now()))) {
      throw alreadyExists(`trigger ${spec.name} already exists`);
    }
    this.deps.engine.poke();
    return this.get(spec.name);
  }

  /**
   * STATEGATE_TRIGGERS at start: each declared trigger is created, or its stored spec replaced (keeping its
   * cursor and dead letters, so a restart or redeploy resumes where delivery stood). Throws naming the trigger.
   */
  async declare(declared: readonly { spec: TriggerSpec; from: 'now' | number }[]): Promise<void> {
    for (const { spec, from } of declared) {
      try {
        await this.deps.sender.checkTarget(spec.url);
      } catch (err) {
        const reason = err instanceof StategateError ? err.message : String(err);
        throw invalid(`STATEGATE_TRIGGERS: trigger ${spec.name}: ${reason}`);
      }
      if (await this.deps.store.update(spec)) continue;
      const position = from === 'now' ? await this.deps.storage.headPosition() : from;
      if (!(await this.deps.store.create(spec, position, Date.now()))) await this.deps.store.update(spec);
    }
  }

  async list(prefix = ''): Promise<TriggerView[]> {
    const [records, head] = await Promise.all([this.deps.store.list(), this.deps.storage.headPosition()]);
    const chosen = records.filter((r) => r.spec.name.startsWith(prefix));
    return Promise.all(chosen.map((r) => this.view(r, head, false)));
  }

  async get(name: string): Promise<TriggerView> {
    const record = await this.deps.store.get(name);
    if (record === null) throw notFound(`no trigger named ${name}`);
    return this.view(record, await this.deps.storage.headPosition(), true);
  }

  async delete(name: string): Promise<TriggerView> {
    const before = await this.get(name);
    if (!(await this.deps.store.delete(name))) throw notFound(`no trigger named ${name}`);
    return before;
  }

  async replay({ name, eventIds }: { name: string; eventIds: string[] | null }): Promise<{ replayed: number }> {
    if ((await this.deps.store.get(name)) === null) throw notFound(`no trigger named ${name}`);
    const replayed = await this.deps.store.markReplay(name, eventIds);
    this.deps.engine.poke();
    return { replayed };
  }

  private async view(record: TriggerRecord, head: number, withLetters: boolean): Promise<TriggerView> {
    const { spec } = record;
    const [deadLetterCount, deadLetters] = await Promise.all([
      this.deps.store.countDeadLetters(spec.name),
      withLetters ? this.deps.store.listDeadLetters(spec.name, { limit: DEAD_LETTERS_SHOWN }) : Promise.resolve([]),
    ]);
    return {
      name: spec.name,
      url: redactQuery(spec.url),
      domain: spec.domain,
      type: spec.type,
      key: spec.key,
      headerNames: Object.keys(spec.headers).sort(),
      timeoutMs: spec.timeoutMs,
      maxAttempts: spec.maxAttempts,
      createdAt: record.createdAt,
      status: {
        position: record.position,
        lag: Math.max(0, head - record.position),
        attempts: record.attempts,
        lastError: record.lastError,
        deadLetterCount,
        deadLetters,
      },
    };
  }
}

/**
 * The URL as answers show it: query values masked, since some platforms take the function's key there
 * (`?code=…`) and no answer may carry a credential.
 */
export function redactQuery(url: string): string {
  const parsed = new URL(url);
  if (parsed.search === '') return url;
  for (const key of [...new Set(parsed.searchParams.keys())]) parsed.searchParams.set(key, '***');
  return parsed.toString();
}
