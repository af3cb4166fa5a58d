import type { BusProvider } from '../../core/ports/bus.js';
import type { StorageProvider } from '../../core/ports/storage.js';
import type { Tracer } from '../../core/ports/tracer.js';
import { STORAGE_CALLS } from '../storage-calls.js';

/** `storage` with each call a `storage.<call>` span of the request's trace (db.system = the provider). */
export function traceStorage(storage: StorageProvider, tracer: Tracer): StorageProvider {
  // Only calls made inside a traced request become spans: background log polling has no trace.
  return traced(storage, 'storage', STORAGE_CALLS, tracer, { 'db.system.name': storage.name });
}

/** `bus` with each publish a `bus.publish` span (the hint to other instances, a peer message). */
export function traceBus(bus: BusProvider, tracer: Tracer): BusProvider {
  return traced(bus, 'bus', ['publish'], tracer, { 'messaging.system': bus.name });
}

/**
 * `target` seen through a proxy whose listed async methods run as stages of the current trace; every
 * other member is the target's own (methods bound to it).
 */
function traced<T extends object, K extends keyof T>(
  target: T,
  prefix: string,
  methods: readonly K[],
  tracer: Tracer,
  attributes: Readonly<Record<string, string>>,
): T {
  const wrapped = new Map<PropertyKey, unknown>();
  for (const method of methods) {
    const call = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
    const name = `${prefix}.${String(method)}`;
    wrapped.set(method, (...args: unknown[]) => tracer.stage(name, attributes, () => call(...args)));
  }
  return new Proxy(target, {
    get(object, property) {
      if (!wrapped.has(property)) {
        const value = Reflect.get(object, property, object);
        // Bound, so a class's private members still resolve when called through the proxy.
        if (typeof value === 'function') wrapped.set(property, value.bind(object));
        else return value;
      }
      return wrapped.get(property);
    },
  });
}
