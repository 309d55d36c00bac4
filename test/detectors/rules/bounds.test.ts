import { describe, expect, it } from 'vitest';
import type { RuleDetector } from '../../../src/detectors/rules/index.js';
import type { ToolCallEvent } from '../../../src/normalize/events.js';
import { sessionOf, toolCall } from '../../helpers/tool-calls.js';
import { engineOf, ids, ruleFile, run } from './harness.js';

const KEYS = 100_000;

/** Observes one call as the only call of its own session (cheap for 10^5 calls). */
function observeAlone(detector: RuleDetector, event: ToolCallEvent): number {
  const session = sessionOf([event], { id: event.sessionId });
  const state = detector.createState(session);
  return detector.observe({ session, state, call: session.calls[0]! }).length;
}

describe('bounded state', () => {
  it('holds at most maxKeys join keys under 10^5 distinct users (sequence and threshold)', () => {
    const { detector } = engineOf(
      ruleFile(
        [
          '- rule: seq-by-user',
          '  description: d',
          '  severity: low',
          '  sequence: {by: user, maxspan: 1h, steps: [{match: {tool: a}}, {match: {tool: b}}]}',
          '- rule: count-by-user',
          '  description: d',
          '  severity: low',
          '  threshold: {by: user, window: 1h, condition: {gte: 2}}',
        ].join('\n'),
      ),
      { maxKeys: 5_000 },
    );
    let findings = 0;
    for (let i = 0; i < KEYS; i++) {
      findings += observeAlone(detector, toolCall({ tool: 'a', userId: `user-${i}`, sessionId: `s-${i}`, at: i / 1000 }));
    }
    expect(findings).toBe(0);
    expect(detector.keyCount).toBe(5_000);
    // Two rules, each with 10^5 keys, share the LRU.
    expect(detector.stats.evictedKeys).toBe(2 * KEYS - 5_000);
  });

  it('caps partial matches per key and counts what it drops', () => {
    const { detector } = engineOf(
      ruleFile(
        [
          '- rule: flow',
          '  description: d',
          '  severity: low',
          '  sequence:',
          '    max_pending: 16',
          '    steps:',
          '      - {name: r, match: {tool: read}}',
          '      - {match: {tool: send}, flow: [{field: args.to, op: in, from: r.result}]}',
        ].join('\n'),
      ),
    );
    const reads = Array.from({ length: 1_000 }, (_, i) => toolCall({ tool: 'read', result: `address-${i}@x.example` }));
    const send = toolCall({ tool: 'send', arguments: { to: 'address-999@x.example' } });
    const stale = toolCall({ tool: 'send', arguments: { to: 'address-0@x.example' } });
    const findings = run(detector, sessionOf([...reads, send, stale]));
    expect(detector.stats.droppedPartials).toBe(1_000 - 16);
    // The newest partial is still there, the oldest was dropped.
    expect(findings.map((f) => f.calls.map((c) => c.index))).toEqual([[999, 1_000]]);
  });

  it('caps threshold windows per key', () => {
    const { detector } = engineOf(
      ruleFile('- rule: w\n  description: d\n  severity: low\n  threshold: {window: 1h, condition: {gte: 5000}}'),
    );
    const calls = Array.from({ length: 6_000 }, () => toolCall({ tool: 'x' }));
    const findings = run(detector, sessionOf(calls, { spacingMs: 10 }));
    // The default cap keeps what the condition needs (5000), so the rule still fires.
    expect(findings.map((f) => f.callIndex)).toEqual([4_999]);
    expect(detector.stats.droppedPartials).toBe(1_000);
  });

  it('caps group states per session under 10^5 distinct group values', () => {
    const { detector } = engineOf(
      ruleFile('- rule: g\n  description: d\n  severity: low\n  threshold: {by: [session, args], window: 1h, condition: {gte: 2}}'),
      { maxGroupsPerSession: 1_000 },
    );
    const session = sessionOf([toolCall()]);
    const state = detector.createState(session);
    for (let i = 0; i < KEYS; i++) {
      const event = toolCall({ arguments: { n: i }, at: i / 1000 });
      const view = sessionOf([event]);
      detector.observe({ session: view, state, call: view.calls[0]! });
    }
    expect(state.groups).toBe(1_000);
    expect(detector.stats.droppedGroups).toBe(KEYS - 1_000);
  });

  it('a session replay does not count a call twice under a non-session key', () => {
    const { detector } = engineOf(
      ruleFile('- rule: by-user\n  description: d\n  severity: low\n  threshold: {by: user, window: 1h, condition: {gte: 3}}'),
    );
    const session = sessionOf([toolCall(), toolCall()]);
    expect(run(detector, session)).toEqual([]);
    // The session stage replays from a fresh state when a late span arrives.
    expect(run(detector, session)).toEqual([]);
    expect(detector.stats.replaySkips).toBe(2);
    const later = sessionOf([toolCall()], { id: 'session-2' });
    expect(ids(run(detector, later))).toEqual(['by-user']);
  });
});
