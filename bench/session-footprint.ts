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
  /** What the store's memory budget counts for each session (event included). */
  readonly accountedBytes: number;
}

/**
 * Heap cost of `count` live sessions of one call each, against the bare events (baseline). `content`
 * gives each call a result and arguments of about that many characters.
 */
export function benchSessionFootprint(count: number, content = 0): FootprintResult {
  const before = heapUsed();
  const events: ToolCallEvent[] = [];
  for (let i = 0; i < count; i++) {
    // Strings of their own, as decoded spans give: shared ones would not cost their size per call.
    const text = (length: number): string => (length === 0 ? '' : `${i} ${'x'.repeat(length)}`.slice(0, length));
    events.push(
      toolCallEvent({
        sessionId: `session-${i}`,
        traceId: i.toString(16).padStart(32, '0'),
        tool: 'search_docs',
        result: text(content / 2),
        arguments: content === 0 ? null : { query: text(content / 4), filters: [text(content / 8), text(content / 8)] },
      }),
    );
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
    accountedBytes: store.bytes / count,
  };
}
