import type {
  SessionDirectory,
  SessionQuery,
  SessionSnapshot,
  SessionSummary,
} from '../../src/session/session-snapshot.js';

/** A SessionDirectory over fixed snapshots, for API tests. */
export class MemorySessionDirectory implements SessionDirectory {
  private readonly snapshots = new Map<string, SessionSnapshot>();

  constructor(snapshots: readonly SessionSnapshot[] = []) {
    for (const snapshot of snapshots) this.snapshots.set(snapshot.session, snapshot);
  }

  get(id: string): SessionSnapshot | undefined {
    return this.snapshots.get(id);
  }

  list(query: SessionQuery): SessionSummary[] {
    return [...this.snapshots.values()]
      .filter((s) => s.score >= query.minScore && Date.parse(s.lastSeen) >= query.sinceMs)
      .sort((a, b) => b.score - a.score)
      .slice(0, query.limit)
      .map((s) => ({
        session: s.session,
        service: s.service,
        userId: s.userId,
        trust: s.trust,
        score: s.score,
        level: s.level,
        callCount: s.callCount,
        escalated: s.escalated,
        firstSeen: s.firstSeen,
        lastSeen: s.lastSeen,
      }));
  }
}
