import { compileGlob } from '../glob.js';
import type { Event } from '../model.js';
import type { TriggerSpec } from './model.js';

/** Whether an event belongs to a trigger: its entity's domain, type and key against the trigger's globs. */
export function triggerMatcher(spec: Pick<TriggerSpec, 'domain' | 'type' | 'key'>): (event: Event) => boolean {
  const domain = compileGlob(spec.domain);
  const type = compileGlob(spec.type);
  const key = compileGlob(spec.key);
  return (event) => domain(event.entity.domain) && type(event.entity.type) && key(event.entity.key);
}
