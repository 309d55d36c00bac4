import type { NormalizedEvent } from './events.js';

/**
 * Takes normalized events from the stateless stage. The seam where a NATS hop partitioned by
 * session can later go, without rewriting either side.
 */
export interface EventConsumer {
  consume(events: readonly NormalizedEvent[]): void;
}
