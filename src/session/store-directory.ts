import type { Session } from './session.js';
import type {
  SessionDirectory,
  SessionQuery,
  SessionSnapshot,
  SessionSummary,
  TimelineCall,
} from './session-snapshot.js';
import type { SessionStore } from './session-store.js';

const MAX_DATE_MS = 8.64e15;

/** '' for no time, and for one beyond what a Date holds (whose toISOString throws). */
const iso = (ms: number): string => (Number.isFinite(ms) && ms > 0 && ms <= MAX_DATE_MS ? new Date(ms).toISOString() : '');

/** Higher risk first; the more recently active first among equals. */
function riskier(a: Session, b: Session): boolean {
  return a.score > b.score || (a.score === b.score && a.lastSeenMs > b.lastSeenMs);
}

/** Answers API reads from the live session store, without refreshing sessions' recency. */
export class StoreSessionDirectory implements SessionDirectory {
  constructor(
    private readonly store: SessionStore,
    private readonly escalationTtlSeconds: number,
  ) {}

  get(id: string): SessionSnapshot | undefined {
    const session = this.store.peek(id);
    return session === undefined ? undefined : this.snapshot(session);
  }

  /**
   * The `limit` riskiest matching sessions. The store holds up to millions: they are kept to the best
   * `limit` as they are read (one insertion into a short sorted list when one beats the last), never all sorted.
   */
  list(query: SessionQuery): SessionSummary[] {
    const top: Session[] = [];
    for (const session of this.store.values()) {
      if (session.score < query.minScore || session.lastSeenMs < query.sinceMs) continue;
      if (top.length === query.limit && !riskier(session, top[top.length - 1]!)) continue;
      let position = top.length;
      while (position > 0 && riskier(session, top[position - 1]!)) position--;
      top.splice(position, 0, session);
      if (top.length > query.limit) top.pop();
    }
    return top.map((session) => summarize(session));
  }

  private snapshot(session: Session): SessionSnapshot {
    const timeline: TimelineCall[] = session.calls.map(({ index, event, origin }) => ({
      index,
      spanId: event.spanId,
      traceId: event.traceId,
      tool: event.tool,
      server: event.server,
      category: event.toolClass.category,
      effect: event.toolClass.effect,
      categoryInferred: event.toolClass.inferred,
      origin,
      status: event.status,
      startTime: iso(event.startTimeMs),
      durationMs: event.durationMs,
    }));
    const signalled = session.signalsSent > 0;
    return {
      ...summarize(session),
      traceIds: [...session.traceIds],
      prompt: session.prompt,
      findings: [...session.findings],
      timeline,
      escalation: {
        escalated: session.escalated,
        lastSignalAt: signalled ? iso(session.lastSignalMs) : '',
        expiresAt: signalled ? iso(session.lastSignalMs + this.escalationTtlSeconds * 1000) : '',
        signalsSent: session.signalsSent,
      },
    };
  }
}

function summarize(session: Session): SessionSummary {
  return {
    session: session.id,
    service: session.service,
    userId: session.userId,
    trust: session.trust,
    score: session.score,
    level: session.level,
    callCount: session.calls.length,
    escalated: session.escalated,
    firstSeen: iso(session.firstSeenMs),
    lastSeen: iso(session.lastSeenMs),
  };
}
