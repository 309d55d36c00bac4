import { Session } from '../src/session/session.js';
import { LruSessionStore } from '../src/session/session-store.js';
import { toolCallEvent } from '../test/helpers/normalized-events.js';
import type { ToolCallEvent } from '../src/normalize/events.js';

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export interface FootprintResult {
  readonly sessions: number;
  /** Heap bytes of one call event alone: the data any design must hold. */
  readonly eventBytes: number;
  /** Heap bytes a live session costs beyond its one call event. */
  readonly sessionBytes: number;
}

/** Heap cost of `count` live sessions of one call each, against the bare events (baseline). */
export function benchSessionFootprint(count: number): FootprintResult {
  const before = heapUsed();
  const events: ToolCallEvent[] = [];
  for (let i = 0; i < count; i++) {
    events.push(toolCallEvent({ sessionId: `session-${i}`, traceId: i.toString(16).padStart(32, '0'), tool: 'search_docs' }));
  }
  const withEvents = heapUsed();
  const store = new LruSessionStore({ maxSessions: count, idleTtlMs: 30 * 60_000 });
  const limits = { maxCalls: 512, maxTraceIds: 16, maxFindings: 32 };
  for (const event of events) {
    const session = new Session(event.sessionId, limits);
    session.noteSpan(event.traceId, event.service, event.startTimeMs);
    session.addCall(event);
    store.set(session);
  }
  const withSessions = heapUsed();
  if (store.size !== count) throw new Error(`store holds ${store.size} of ${count} sessions`);
  return {
    sessions: count,
    eventBytes: (withEvents - before) / count,
    sessionBytes: (withSessions - withEvents) / count,
  };
}
