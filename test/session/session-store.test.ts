import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { LruSessionStore } from '../../src/session/session-store.js';
import type { EvictionReason } from '../../src/session/session-store.js';
import { toolCallEvent } from '../helpers/normalized-events.js';

const limits = { maxCalls: 64, maxTraceIds: 4, maxFindings: 8 };

function sessionWith(id: string, resultLength: number): Session {
  const session = new Session(id, limits);
  session.addCall(toolCallEvent({ sessionId: id, result: 'r'.repeat(resultLength) }));
  return session;
}

describe('LruSessionStore, memory budget', () => {
  it('counts what the sessions hold and evicts the least recently active beyond the budget, as `memory`', () => {
    const store = new LruSessionStore({ maxSessions: 100, idleTtlMs: 0, maxBytes: 30_000 });
    const evicted: Array<[string, EvictionReason]> = [];
    store.onEvict((session, reason) => evicted.push([session.id, reason]));
    for (const id of ['a', 'b', 'c']) store.set(sessionWith(id, 8_000));
    expect(store.bytes).toBeGreaterThan(24_000);
    expect(evicted).toEqual([]);

    // `a` is used again, then `c` grows past the budget: `b`, the least recently active, goes.
    store.get('a');
    const c = store.peek('c')!;
    c.addCall(toolCallEvent({ sessionId: 'c', result: 'r'.repeat(4_000) }));
    store.resize(c);
    expect(evicted).toEqual([['b', 'memory']]);
    expect(store.evictions).toMatchObject({ memory: 1, capacity: 0 });
    expect(store.bytes).toBe(store.peek('a')!.approximateBytes + c.approximateBytes);
    expect(store.bytes).toBeLessThanOrEqual(30_000);
  });

  it('keeps the session that grew even when it alone is over the budget', () => {
    const store = new LruSessionStore({ maxSessions: 100, idleTtlMs: 0, maxBytes: 10_000 });
    store.set(sessionWith('small', 10));
    store.set(sessionWith('huge', 50_000));
    expect([...store.values()].map((session) => session.id)).toEqual(['huge']);
    expect(store.evictions.memory).toBe(1);
  });

  it('gives the bytes back when sessions leave or lose calls, and has no budget at 0', () => {
    const store = new LruSessionStore({ maxSessions: 100, idleTtlMs: 0, maxBytes: 0 });
    const moving = new Session('m', limits);
    moving.addCall(toolCallEvent({ sessionId: 'm', traceId: '1'.repeat(32), result: 'r'.repeat(5_000) }));
    moving.addCall(toolCallEvent({ sessionId: 'm', traceId: '2'.repeat(32), result: 'r'.repeat(100) }));
    store.set(moving);
    for (let i = 0; i < 50; i++) store.set(sessionWith(`s${i}`, 10_000));
    expect(store.size).toBe(51);
    const before = store.bytes;
    moving.removeTrace('1'.repeat(32));
    store.resize(moving);
    expect(before - store.bytes).toBeGreaterThanOrEqual(5_000);
    store.delete('s0');
    store.clear();
    expect(store.bytes).toBe(0);
  });
});
