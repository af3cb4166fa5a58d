import { invalid, notFound } from '../errors.js';
import { parseFilter, parseSort } from '../filter/parse.js';
import type { Limits } from '../limits.js';
import type { Event, EventRef, SearchEventOpts, StreamEventOpts } from '../model.js';
import type { EventQuery, StorageProvider } from '../ports/storage.js';
import type { EventHub } from '../stream/event-hub.js';
import type { Outbox } from '../stream/outbox.js';
import { nonNegativeInt, optionalGlob, requireName, searchLimit } from '../validate.js';

/** The event log: search it, get one event, or stream it live (optionally resuming by position). */
export class EventService {
  constructor(
    private readonly storage: StorageProvider,
    private readonly hub: EventHub,
    private readonly limits: Limits,
  ) {}

  validateStream(opts: StreamEventOpts): Required<Pick<StreamEventOpts, 'domain' | 'type' | 'key'>> & StreamEventOpts {
    const max = this.limits.globLength;
    const group = opts.consumerGroup ?? '';
    if (group !== '') requireName('consumer_group', group);
    if (opts.after !== undefined && (!Number.isSafeInteger(opts.after) || opts.after < 0)) {
      throw invalid('after must be a non-negative position');
    }
    return {
      domain: optionalGlob('domain', opts.domain, max),
      type: optionalGlob('type', opts.type, max),
      key: optionalGlob('key', opts.key, max),
      ...(group !== '' ? { consumerGroup: group } : {}),
      ...(opts.after !== undefined ? { after: opts.after } : {}),
    };
  }

  validateSearch(opts: SearchEventOpts): EventQuery {
    if (opts.min !== undefined && opts.max !== undefined && opts.min > opts.max) throw invalid('min is after max');
    if (opts.after !== undefined && (!Number.isSafeInteger(opts.after) || opts.after < 0)) {
      throw invalid('after must be a non-negative position');
    }
    return {
      domain: requireName('domain', opts.domain),
      type: requireName('type', opts.type),
      filter: parseFilter(opts.queryString, 'events'),
      sort: parseSort(opts.sort, 'events'),
      limit: searchLimit(opts.limit, this.limits.searchLimitCap),
      offset: nonNegativeInt('offset', opts.offset),
      ...(opts.min !== undefined && opts.min > 0n ? { min: opts.min } : {}),
      ...(opts.max !== undefined && opts.max > 0n ? { max: opts.max } : {}),
      ...(opts.after ? { after: opts.after } : {}),
    };
  }

  stream(opts: ReturnType<EventService['validateStream']>): Outbox<Event> {
    return this.hub.subscribe(opts);
  }

  search(query: EventQuery): Promise<Event[]> {
    return this.storage.searchEvents(query);
  }

  async get(ref: EventRef): Promise<Event> {
    const event = await this.storage.getEvent(ref);
    if (!event) throw notFound(`event ${ref.id} of entity ${ref.domain}/${ref.type}/${ref.key} does not exist`);
    return event;
  }
}
