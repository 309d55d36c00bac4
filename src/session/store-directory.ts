import type { Session } from './session.js';
import type {
  SessionDirectory,
  SessionQuery,
  SessionSnapshot,
  SessionSummary,
  TimelineCall,
} from './session-snapshot.js';
import type { SessionStore } from './session-store.js';

const iso = (ms: number): string => (Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : '');

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

  list(query: SessionQuery): SessionSummary[] {
    const found: Session[] = [];
    for (const session of this.store.values()) {
      if (session.score >= query.minScore && session.lastSeenMs >= query.sinceMs) found.push(session);
    }
    found.sort((a, b) => b.score - a.score || b.lastSeenMs - a.lastSeenMs);
    return found.slice(0, query.limit).map((session) => summarize(session));
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
