import { describe, expect, it } from 'vitest';
import { EscalationPolicy } from '../../src/scoring/escalation-policy.js';
import type { EscalationMemory } from '../../src/scoring/escalation-policy.js';

const policy = new EscalationPolicy({ escalateAt: 0.6, releaseBelow: 0.4, ttlSeconds: 100, renewBeforeSeconds: 20 });

function run(memory: EscalationMemory, score: number, nowMs: number): boolean {
  return policy.apply(memory, policy.decide(memory, score, nowMs), nowMs);
}

describe('EscalationPolicy', () => {
  it('signals once when the risk crosses the threshold, not again while it stays high', () => {
    const memory = { escalated: false, lastSignalMs: 0 };
    expect(run(memory, 0.5, 0)).toBe(false);
    expect(run(memory, 0.7, 1_000)).toBe(true);
    expect(run(memory, 0.9, 2_000)).toBe(false);
    expect(run(memory, 0.65, 50_000)).toBe(false);
    expect(memory.escalated).toBe(true);
  });

  it('renews shortly before the TTL ends while the risk stays above the release level', () => {
    const memory = { escalated: false, lastSignalMs: 0 };
    run(memory, 0.7, 0);
    expect(policy.decide(memory, 0.5, 79_999)).toBe('none');
    expect(policy.decide(memory, 0.5, 80_000)).toBe('renew');
    expect(run(memory, 0.5, 80_000)).toBe(true);
    expect(memory.lastSignalMs).toBe(80_000);
  });

  it('releases below the lower level and escalates anew on the next crossing (hysteresis)', () => {
    const memory = { escalated: false, lastSignalMs: 0 };
    run(memory, 0.7, 0);
    expect(run(memory, 0.45, 1_000)).toBe(false);
    expect(memory.escalated).toBe(true);
    expect(run(memory, 0.3, 2_000)).toBe(false);
    expect(memory.escalated).toBe(false);
    expect(run(memory, 0.55, 3_000)).toBe(false);
    expect(run(memory, 0.6, 4_000)).toBe(true);
  });

  it('rejects settings where release is above escalation or renewal is past the TTL', () => {
    expect(() => new EscalationPolicy({ escalateAt: 0.5, releaseBelow: 0.6, ttlSeconds: 10, renewBeforeSeconds: 1 })).toThrow(
      /releaseBelow/,
    );
    expect(() => new EscalationPolicy({ escalateAt: 0.5, releaseBelow: 0.4, ttlSeconds: 10, renewBeforeSeconds: 10 })).toThrow(
      /renewBeforeSeconds/,
    );
  });
});
