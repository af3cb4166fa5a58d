import type { Metrics } from '../ports/metrics.js';
import type { OutboxObserver } from './outbox.js';

/** Reports every outbox of one hub under its stream kind (one shared object: no allocation per subscriber). */
export function streamObserver(metrics: Metrics, stream: 'events' | 'messages'): OutboxObserver {
  const labels = { stream };
  return {
    delivered: () => metrics.count('deliveries', labels),
    cutOff: () => metrics.count('slowSubscriberCutoffs', labels),
    dropped: (items) => metrics.count('drops', labels, items),
  };
}
