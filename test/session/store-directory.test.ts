import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { LruSessionStore } from '../../src/session/session-store.js';
import { StoreSessionDirectory } from '../../src/session/store-directory.js';

const limits = { maxCalls: 8, maxTraceIds: 4, maxFindings: 8 };

function directoryOf(sessions: ReadonlyArray<[id: string, score: number, lastSeenMs: number]>): StoreSessionDirectory {
  const store = new LruSessionStore({ maxSessions: 1_000, idleTtlMs: 0 });
  for (const [id, score, lastSeenMs] of sessions) {
    const session = new Session(id, limits);
    session.score = score;
    session.lastSeenMs = lastSeenMs;
    session.firstSeenMs = lastSeenMs;
    store.set(session);
  }
  return new StoreSessionDirectory(store, 600);
}

describe('StoreSessionDirectory', () => {
  const t0 = 1_700_000_000_000;
  const sessions: Array<[string, number, number]> = [
    ['quiet', 0.1, t0 + 5],
    ['risky-old', 0.9, t0 + 1],
    ['medium', 0.5, t0 + 2],
    ['risky-new', 0.9, t0 + 3],
    ['worst', 0.99, t0 + 4],
  ];

  it('lists the riskiest first, the more recent first among equals, at most `limit`', () => {
    const directory = directoryOf(sessions);
    const ids = (limit: number, minScore = 0, sinceMs = 0) => directory.list({ limit, minScore, sinceMs }).map((s) => s.session);
    expect(ids(10)).toEqual(['worst', 'risky-new', 'risky-old', 'medium', 'quiet']);
    expect(ids(3)).toEqual(['worst', 'risky-new', 'risky-old']);
    expect(ids(1)).toEqual(['worst']);
    expect(ids(10, 0.5)).toEqual(['worst', 'risky-new', 'risky-old', 'medium']);
    expect(ids(10, 0, t0 + 3)).toEqual(['worst', 'risky-new', 'quiet']);
  });

  it('answers for a session whose span times are beyond what a date holds', () => {
    const directory = directoryOf([['far', 0.2, 1e294]]);
    expect(directory.list({ limit: 10, minScore: 0, sinceMs: 0 })).toMatchObject([{ session: 'far', firstSeen: '', lastSeen: '' }]);
    expect(directory.get('far')).toMatchObject({ session: 'far', lastSeen: '' });
  });
});
