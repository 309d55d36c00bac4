import { describe, expect, it } from 'vitest';
import { sessionPromptEvent, sessionRootEvent, toolCallEvent } from '../helpers/normalized-events.js';
import { testScoringStage } from '../helpers/scoring-stage.js';
import { categoryChainDetector } from '../helpers/sequence-detector.js';
import { RuleSetManager, createRuleDetector } from '../../src/detectors/rules/index.js';
import type { Detector } from '../../src/detectors/detector.js';
import { EscalationPolicy } from '../../src/scoring/escalation-policy.js';
import { DEFAULT_LEVEL_THRESHOLDS, riskCombiner } from '../../src/scoring/risk-combiner.js';
import { LruSessionStore } from '../../src/session/session-store.js';
import { SpanKind } from '../../src/ingest/otlp/types.js';

function stage(options: { maxSessions?: number; now?: { ms: number } } = {}) {
  const detector = categoryChainDetector('pii_access', 'external_communication');
  const now = options.now ?? { ms: 1_000_000 };
  const { scoring, sink, store } = testScoringStage([detector], {
    maxSessions: options.maxSessions ?? 100,
    clock: () => now.ms,
  });
  return { sink, detector, scoring, store, now };
}

const pii = { category: 'pii_access', effect: 'read', sensitive: true, cost: 0, inferred: false } as const;
const send = { category: 'external_communication', effect: 'send', sensitive: false, cost: 0, inferred: false } as const;
const t0 = 1_700_000_000_000;

describe('ScoringStage', () => {
  it('scores a chain as it streams: one alert, one escalation signal, score updates', () => {
    const { sink, scoring } = stage();
    scoring.consume([toolCallEvent({ tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 })]);
    expect(sink.scores.at(-1)?.score).toBe(0);
    scoring.consume([toolCallEvent({ tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 })]);
    const last = sink.scores.at(-1)!;
    expect(last.score).toBeCloseTo(0.9);
    expect(last.level).toBe('critical');
    expect(last.escalated).toBe(true);
    expect(sink.alerts).toHaveLength(1);
    expect(sink.alerts[0]!.finding.callIndex).toBe(1);
    expect(sink.signals).toHaveLength(1);
    expect(sink.signals[0]).toMatchObject({ session: 'session-1', service: 'support-agent', level: 'full', ttlSeconds: 100 });
  });

  it('orders a session by start time across batches and replays when a call arrives late', () => {
    const { sink, scoring, store, detector } = stage();
    scoring.consume([toolCallEvent({ tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 })]);
    expect(sink.alerts).toHaveLength(0);
    scoring.consume([toolCallEvent({ tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 })]);
    expect(store.peek('session-1')!.calls.map((c) => c.event.tool)).toEqual(['query_customer_pii', 'post_to_slack']);
    expect(detector.observed.slice(-2)).toEqual(['query_customer_pii', 'post_to_slack']);
    expect(sink.alerts).toHaveLength(1);
    expect(scoring.counters.replays).toBe(1);
  });

  it('ignores duplicate spans (at-least-once delivery) and never alerts twice for one finding', () => {
    const { sink, scoring, store } = stage();
    const calls = [
      toolCallEvent({ tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 }),
      toolCallEvent({ tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 }),
    ];
    scoring.consume(calls);
    scoring.consume(calls);
    expect(store.peek('session-1')!.calls).toHaveLength(2);
    expect(scoring.counters.duplicates).toBe(2);
    expect(sink.alerts).toHaveLength(1);
    expect(sink.signals).toHaveLength(1);
  });

  it('marks calls whose parent is another tool span as nested, and folds the server view of a call into it', () => {
    const { scoring, store } = stage();
    const client = toolCallEvent({ tool: 'run_python', startTimeMs: t0, spanKind: 3 });
    const server = toolCallEvent({ tool: 'run_python', startTimeMs: t0 + 1, spanKind: 2, parentSpanId: client.spanId });
    const nested = toolCallEvent({ tool: 'query_database', startTimeMs: t0 + 2, parentSpanId: server.spanId });
    scoring.consume([server]);
    scoring.consume([nested, client]);
    const calls = store.peek('session-1')!.calls;
    expect(calls.map((c) => [c.event.tool, c.origin, c.event.spanKind])).toEqual([
      ['run_python', 'user', 3],
      ['query_database', 'nested', 3],
    ]);
  });

  it('keeps cross-session evidence when a replay rebuilds the session findings', () => {
    let emitted = false;
    const crossSession = {
      id: 'cross',
      async preload() {},
      createState: () => undefined,
      observe({ call }: { call: { index: number; event: { spanId: string } } }) {
        if (emitted) return [];
        emitted = true;
        return [{ detector: 'cross', id: 'user-burst', severity: 'high' as const, score: 0.7, message: 'burst', callIndex: call.index, spanIds: [call.event.spanId], crossSession: true }];
      },
      async shutdown() {},
    };
    const { scoring, sink } = testScoringStage([crossSession]);
    scoring.consume([toolCallEvent({ startTimeMs: t0 + 10 })]);
    scoring.consume([toolCallEvent({ startTimeMs: t0 })]);
    expect(scoring.counters.replays).toBe(1);
    expect(scoring.store.peek('session-1')!.findings.map((f) => f.id)).toEqual(['user-burst']);
    expect(sink.alerts).toHaveLength(1);
  });

  it('takes the prompt from the root span whenever it arrives and replays with it', () => {
    const { scoring, store } = stage();
    scoring.consume([toolCallEvent({ startTimeMs: t0 })]);
    scoring.consume([sessionRootEvent({ prompt: 'what is open?', startTimeMs: t0 - 5 })]);
    const session = store.peek('session-1')!;
    expect(session.prompt).toBe('what is open?');
    expect(session.ended).toBe(true);
  });

  it('files spans without a session attribute under their trace, then moves them to the session', () => {
    const { scoring, store } = stage();
    const traceId = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    scoring.consume([toolCallEvent({ sessionId: traceId, sessionKey: 'trace', traceId, tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 })]);
    expect(store.peek(traceId)).toBeDefined();
    scoring.consume([toolCallEvent({ sessionId: 'conv-9', traceId, tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 })]);
    expect(store.peek(traceId)).toBeUndefined();
    const session = store.peek('conv-9')!;
    expect(session.calls.map((c) => c.event.tool)).toEqual(['query_customer_pii', 'post_to_slack']);
    expect(session.score).toBeCloseTo(0.9);
    scoring.consume([toolCallEvent({ sessionId: traceId, sessionKey: 'trace', traceId, tool: 'search_docs', startTimeMs: t0 + 20 })]);
    expect(store.peek('conv-9')!.calls).toHaveLength(3);
  });

  it('joins the MCP transport sessions of one conversation: a chain across two servers is one session', () => {
    const { sink, scoring, store } = stage();
    const traceId = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    // Each server's spans name their own mcp.session.id and arrive before the agent's root span.
    scoring.consume([toolCallEvent({ sessionId: 'mcp-db', sessionKey: 'transport', traceId, tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 })]);
    scoring.consume([toolCallEvent({ sessionId: 'mcp-chat', sessionKey: 'transport', traceId, tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 })]);
    // One trace is one agent turn: the second server's spans join the first one's session at once.
    expect(store.peek('mcp-chat')).toBeUndefined();
    expect(sink.alerts.map((a) => a.session)).toEqual(['mcp-db']);
    scoring.consume([sessionRootEvent({ sessionId: 'conv-1', traceId, startTimeMs: t0 - 5, prompt: 'export the churn report' })]);
    expect(store.peek('mcp-db')).toBeUndefined();
    expect(store.peek('mcp-chat')).toBeUndefined();
    const session = store.peek('conv-1')!;
    expect(session.calls.map((c) => c.event.tool)).toEqual(['query_customer_pii', 'post_to_slack']);
    expect(session.prompt).toBe('export the churn report');
    expect(session.score).toBeCloseTo(0.9);
    expect(sink.alerts.map((a) => a.session)).toEqual(['mcp-db', 'conv-1']);
    // Later spans of that trace that name only their transport session join the conversation at once.
    scoring.consume([toolCallEvent({ sessionId: 'mcp-db', sessionKey: 'transport', traceId, tool: 'search_docs', startTimeMs: t0 + 20 })]);
    expect(store.peek('mcp-db')).toBeUndefined();
    expect(store.peek('conv-1')!.calls).toHaveLength(3);
  });

  it('moves only the named trace out of a transport session that carries several conversations', () => {
    const { scoring, store } = stage();
    const first = 'cccccccccccccccccccccccccccccccc';
    const second = 'dddddddddddddddddddddddddddddddd';
    scoring.consume([
      toolCallEvent({ sessionId: 'mcp-1', sessionKey: 'transport', traceId: first, tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 }),
      toolCallEvent({ sessionId: 'mcp-1', sessionKey: 'transport', traceId: second, tool: 'search_docs', startTimeMs: t0 + 5 }),
      toolCallEvent({ sessionId: 'mcp-1', sessionKey: 'transport', traceId: second, tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 }),
    ]);
    // One connection carried both: as one session it reads as a chain it is not.
    expect(store.peek('mcp-1')!.score).toBeCloseTo(0.9);
    scoring.consume([sessionRootEvent({ sessionId: 'conv-a', traceId: first, startTimeMs: t0 - 5 })]);
    expect(store.peek('conv-a')!.calls.map((c) => c.event.tool)).toEqual(['query_customer_pii']);
    const rest = store.peek('mcp-1')!;
    expect(rest.traceIds).toEqual([second]);
    expect(rest.calls.map((c) => [c.index, c.event.tool])).toEqual([
      [0, 'search_docs'],
      [1, 'post_to_slack'],
    ]);
    expect(rest.score).toBe(0);
  });

  it('bounds sessions and calls, counting what it evicts and drops', () => {
    const { scoring, store } = stage({ maxSessions: 3 });
    for (let i = 0; i < 5; i++) scoring.consume([toolCallEvent({ sessionId: `s${i}`, startTimeMs: t0 + i })]);
    expect(store.size).toBe(3);
    expect(store.evictions.capacity).toBe(2);
    for (let i = 0; i < 12; i++) scoring.consume([toolCallEvent({ sessionId: 's4', startTimeMs: t0 + 100 + i })]);
    expect(store.peek('s4')!.calls).toHaveLength(8);
    expect(scoring.counters.droppedCalls).toBe(5);
  });

  it('renews the escalation before its TTL while risk stays high, without duplicates', () => {
    const now = { ms: 1_000_000 };
    const { sink, scoring } = stage({ now });
    scoring.consume([
      toolCallEvent({ tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 }),
      toolCallEvent({ tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 }),
    ]);
    expect(sink.signals).toHaveLength(1);
    now.ms += 50_000;
    scoring.tick();
    expect(sink.signals).toHaveLength(1);
    now.ms += 30_000;
    scoring.tick();
    scoring.tick();
    expect(sink.signals).toHaveLength(2);
    expect(sink.signals[1]!.issuedAt).toBe(new Date(now.ms).toISOString());
  });

  it('keeps going when a detector throws, counting the failure', () => {
    const { scoring, store } = stage();
    const broken = {
      id: 'broken',
      async preload() {},
      createState: () => undefined,
      observe(): never {
        throw new Error('boom');
      },
      async shutdown() {},
    };
    const { scoring: withBroken, sink } = testScoringStage([broken], { store });
    withBroken.consume([toolCallEvent({ sessionId: 'x' }), toolCallEvent({ sessionId: 'x', startTimeMs: t0 + 1 })]);
    expect(withBroken.counters.detectorErrors).toBe(2);
    expect(sink.scores).toHaveLength(1);
    expect(scoring.counters.detectorErrors).toBe(0);
  });

  it('settles on its tick a user-keyed match whose trailing missing step never came, and alerts on the session', () => {
    const now = { ms: t0 + 5_000 };
    const { scoring, sink, store } = testScoringStage([loggingLeftOffRule('by: [user]')], { clock: () => now.ms });
    scoring.consume([toolCallEvent({ tool: 'disable_logging', userId: 'bob', startTimeMs: t0 })]);
    scoring.tick();
    expect(sink.alerts).toEqual([]);
    now.ms = t0 + 61_000;
    scoring.tick();
    expect(sink.alerts.map((a) => [a.session, a.finding.id])).toEqual([['session-1', 'logging-left-off']]);
    expect(store.peek('session-1')!.level).toBe('critical');
    now.ms = t0 + 120_000;
    scoring.tick();
    expect(sink.alerts).toHaveLength(1);
  });

  it('settles a session whose root span never came when it leaves the store idle', async () => {
    const store = new LruSessionStore({ maxSessions: 10, idleTtlMs: 50 });
    const { scoring, sink } = testScoringStage([loggingLeftOffRule('by: [session]')], { store });
    scoring.consume([toolCallEvent({ tool: 'disable_logging', startTimeMs: t0 })]);
    expect(sink.alerts).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 120));
    scoring.tick();
    expect(store.peek('session-1')).toBeUndefined();
    expect(sink.alerts.map((a) => [a.session, a.finding.id])).toEqual([['session-1', 'logging-left-off']]);
    expect(sink.scores.at(-1)).toMatchObject({ session: 'session-1', level: 'critical' });
    expect(scoring.completedByLevel).toEqual({ none: 0, low: 0, medium: 0, high: 0, critical: 1 });
  });

  it('stays within the memory budget: the least recently active sessions leave as `memory`, counted as over', () => {
    const store = new LruSessionStore({ maxSessions: 100, idleTtlMs: 0, maxBytes: 40_000 });
    const { scoring } = testScoringStage([categoryChainDetector('pii_access', 'external_communication')], {
      store,
      limits: { maxCalls: 64, maxTraceIds: 4, maxFindings: 8 },
    });
    for (let i = 0; i < 10; i++) {
      scoring.consume([toolCallEvent({ sessionId: `s${i}`, tool: 'query_customer_pii', toolClass: pii, result: 'x'.repeat(9_000), startTimeMs: t0 + i })]);
    }
    expect(store.bytes).toBeLessThanOrEqual(40_000);
    expect(store.size).toBeLessThan(10);
    expect(store.peek('s9')).toBeDefined();
    expect(store.peek('s0')).toBeUndefined();
    expect(store.evictions.memory).toBe(10 - store.size);
    expect(scoring.completedByLevel.none).toBe(10 - store.size);
  });

  it('settles every session whose root never came when the input is over (the end of a replayed file)', () => {
    const { scoring, sink, store } = testScoringStage([loggingLeftOffRule('by: [session]')]);
    scoring.consume([toolCallEvent({ tool: 'disable_logging', startTimeMs: t0 })]);
    scoring.consume([toolCallEvent({ sessionId: 'rooted', tool: 'disable_logging', startTimeMs: t0 }), sessionRootEvent({ sessionId: 'rooted' })]);
    const before = sink.alerts.length;
    scoring.settleAll();
    expect(sink.alerts.slice(before).map((a) => a.session)).toEqual(['session-1']);
    expect(store.peek('session-1')!.level).toBe('critical');
  });

  it('stops renewing the escalation of a session pushed out of the store while its batch was scored', () => {
    const store = new LruSessionStore({ maxSessions: 100, idleTtlMs: 0, maxBytes: 44_100 });
    const now = { ms: t0 };
    const { scoring, sink } = testScoringStage([categoryChainDetector('pii_access', 'external_communication')], {
      store,
      limits: { maxCalls: 64, maxTraceIds: 4, maxFindings: 8 },
      clock: () => now.ms,
    });
    const [named, other] = ['1'.repeat(32), '2'.repeat(32)];
    const transport = { sessionId: 'mcp-1', sessionKey: 'transport' as const };
    const big = 'x'.repeat(20_000);
    scoring.consume([
      toolCallEvent({ ...transport, traceId: named, tool: 'search_docs', startTimeMs: t0 }),
      toolCallEvent({ ...transport, traceId: other, tool: 'query_customer_pii', toolClass: pii, result: big, startTimeMs: t0 + 1 }),
      toolCallEvent({ ...transport, traceId: other, tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 2 }),
    ]);
    scoring.consume([toolCallEvent({ sessionId: 'recent', result: big, startTimeMs: t0 + 3 })]);
    expect(store.size).toBe(2);
    expect(sink.signals.map((signal) => signal.session)).toEqual(['mcp-1']);
    // Naming the first trace's conversation makes a session; the budget pushes out the transport session
    // (only looked at, so the least recently active), which is still scored again without that trace.
    scoring.consume([toolCallEvent({ sessionId: 'conv-1', traceId: named, tool: 'search_docs', startTimeMs: t0 + 4 })]);
    expect(store.peek('mcp-1')).toBeUndefined();
    expect(store.evictions.memory).toBe(1);
    // Past the time a held session's signal would be renewed.
    now.ms += 90_000;
    scoring.tick();
    expect(sink.signals.map((signal) => signal.session)).toEqual(['mcp-1']);
  });

  it("counts what the detectors' states hold for a session against the memory budget", () => {
    const store = new LruSessionStore({ maxSessions: 100, idleTtlMs: 0, maxBytes: 1_000_000 });
    const copying: Detector<{ text: string }> = {
      id: 'copying',
      async preload() {},
      createState: () => ({ text: '' }),
      observe({ state, call }) {
        state.text += call.event.result;
        return [];
      },
      stateBytes: (state) => state.text.length,
      async shutdown() {},
    };
    const { scoring } = testScoringStage([copying], { store });
    scoring.consume([toolCallEvent({ result: 'r'.repeat(10_000) })]);
    const session = store.peek('session-1')!;
    expect(session.detectorBytes).toBe(10_000);
    expect(store.bytes).toBe(session.approximateBytes);
    expect(store.bytes).toBeGreaterThan(20_000);
  });

  it('counts the sessions that are over by their final level, not those cut short by shutdown', () => {
    const { scoring, store } = stage({ maxSessions: 2 });
    const session = (id: string, at: number, exfiltrate: boolean) => [
      toolCallEvent({ sessionId: id, tool: 'query_customer_pii', toolClass: pii, startTimeMs: at }),
      ...(exfiltrate ? [toolCallEvent({ sessionId: id, tool: 'post_to_slack', toolClass: send, startTimeMs: at + 10 })] : []),
    ];
    scoring.consume(session('a', t0, true));
    scoring.consume(session('b', t0 + 100, false));
    // A third and fourth session push the two older ones out of memory.
    scoring.consume(session('c', t0 + 200, false));
    scoring.consume(session('d', t0 + 300, true));
    expect(scoring.completedByLevel).toMatchObject({ none: 1, critical: 1 });
    store.clear();
    expect(scoring.completedByLevel).toEqual({ none: 1, low: 0, medium: 0, high: 0, critical: 1 });
  });
});

/** Records the prompt each call was judged with. */
function promptProbe(): Detector<null> & { readonly seen: Array<[string, string]> } {
  const seen: Array<[string, string]> = [];
  return {
    id: 'prompt-probe',
    seen,
    async preload() {},
    createState: () => null,
    observe({ session, call }) {
      seen.push([call.event.tool, session.prompt]);
      return [];
    },
    async shutdown() {},
  };
}

describe('ScoringStage, a trace filed under its MCP session until the conversation is named', () => {
  it('moves evidence joined by trace with its calls, pointed at the call that completed it', () => {
    const detector = rulesDetector(
      '  - rule: read-then-send-in-trace',
      '    description: A read, then a send, in one trace',
      '    severity: high',
      '    sequence:',
      '      by: [trace]',
      '      steps:',
      '        - match: {tool: query_customer_pii}',
      '        - match: {tool: post_to_slack}',
    );
    const { scoring, store } = testScoringStage([detector]);
    const transport = { sessionId: 'mcp-1', sessionKey: 'transport' as const };
    scoring.consume([
      toolCallEvent({ ...transport, tool: 'search_docs', startTimeMs: t0 }),
      toolCallEvent({ ...transport, tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 + 10 }),
      toolCallEvent({ ...transport, tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 20 }),
    ]);
    expect(store.peek('mcp-1')!.findings.map((f) => [f.id, f.callIndex])).toEqual([['read-then-send-in-trace', 2]]);
    // The agent's root span names the conversation, and starts before every call.
    scoring.consume([sessionRootEvent({ sessionId: 'conv-1', startTimeMs: t0 - 10 })]);
    expect(store.peek('mcp-1')).toBeUndefined();
    const session = store.peek('conv-1')!;
    expect(session.calls.map((c) => c.event.tool)).toEqual(['search_docs', 'query_customer_pii', 'post_to_slack']);
    expect(session.findings.map((f) => [f.id, f.callIndex])).toEqual([['read-then-send-in-trace', 2]]);
    expect(session.level).toBe('high');
  });
});

describe('ScoringStage, the prompt before the root span', () => {
  it("judges calls with the prompt a model call saw, before the agent's root span brings it", () => {
    const probe = promptProbe();
    const { scoring } = testScoringStage([probe]);
    scoring.consume([sessionPromptEvent({ prompt: 'refund order 42', startTimeMs: t0 - 5 })]);
    scoring.consume([toolCallEvent({ tool: 'get_order', startTimeMs: t0 })]);
    expect(probe.seen).toEqual([['get_order', 'refund order 42']]);
    expect(scoring.counters.replays).toBe(0);
  });

  it('judges the calls so far again when the prompt comes after them, and lets the root prompt prevail', () => {
    const probe = promptProbe();
    const { scoring, store } = testScoringStage([probe]);
    scoring.consume([toolCallEvent({ tool: 'get_order', startTimeMs: t0 })]);
    scoring.consume([sessionPromptEvent({ prompt: 'refund order 42', startTimeMs: t0 + 5 })]);
    // A second model call's view does not replace the first.
    scoring.consume([sessionPromptEvent({ prompt: 'something else', startTimeMs: t0 + 9 })]);
    expect(probe.seen).toEqual([
      ['get_order', ''],
      ['get_order', 'refund order 42'],
    ]);
    scoring.consume([sessionRootEvent({ prompt: 'Refund order 42, please', startTimeMs: t0 - 10 })]);
    expect(store.peek('session-1')!.prompt).toBe('Refund order 42, please');
    expect(probe.seen.at(-1)).toEqual(['get_order', 'Refund order 42, please']);
  });

  it("moves the prompt with the trace's calls when the conversation key arrives", () => {
    const probe = promptProbe();
    const { scoring, store } = testScoringStage([probe]);
    const trace = 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0';
    // A model call and a call that name no session: filed under the trace id until a span names it.
    scoring.consume([
      sessionPromptEvent({ sessionId: trace, sessionKey: 'trace', traceId: trace, prompt: 'refund order 42', startTimeMs: t0 - 5 }),
      toolCallEvent({ sessionId: trace, sessionKey: 'trace', traceId: trace, tool: 'get_order', startTimeMs: t0 }),
    ]);
    scoring.consume([toolCallEvent({ sessionId: 'conv-7', traceId: trace, tool: 'refund', startTimeMs: t0 + 10 })]);
    expect(store.peek(trace)).toBeUndefined();
    expect(store.peek('conv-7')!.prompt).toBe('refund order 42');
    expect(probe.seen.at(-1)).toEqual(['refund', 'refund order 42']);
  });
});

describe('ScoringStage, a detection swapped while sessions are held (a model reload)', () => {
  const policy = new EscalationPolicy({ escalateAt: 0.6, releaseBelow: 0.4, ttlSeconds: 100, renewBeforeSeconds: 20 });
  const swapTo = (detector: Detector) => ({ detectors: [detector], combine: riskCombiner(), levels: DEFAULT_LEVEL_THRESHOLDS, policy });

  it('re-scores a held session with the new detectors when its next span comes', () => {
    const { scoring, store, sink } = stage();
    scoring.consume([
      toolCallEvent({ tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 }),
      toolCallEvent({ tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 }),
    ]);
    expect(store.peek('session-1')!.level).toBe('critical');
    const sends = sendCounter();
    scoring.useDetection(swapTo(sends));
    // Until then it keeps the score it had.
    expect(store.peek('session-1')!.level).toBe('critical');
    expect(scoring.awaitingRescore).toBe(1);
    scoring.consume([toolCallEvent({ tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 20 })]);
    const session = store.peek('session-1')!;
    expect(session.findings.map((f) => [f.detector, f.callIndex])).toEqual([['sends', 1], ['sends', 2]]);
    // The strongest finding of a kind counts once.
    expect(session.score).toBeCloseTo(0.3);
    expect(sink.scores.at(-1)).toMatchObject({ session: 'session-1', level: 'low' });
    expect(scoring.counters).toMatchObject({ rescoredAfterSwap: 1, detectorErrors: 0 });
    // The escalation follows the new risk: below `releaseBelow`, it is released.
    expect(session.escalated).toBe(false);
  });

  it('re-scores the idle ones on tick, at least one per tick, most recently active first', () => {
    const { scoring, store } = stage();
    for (const id of ['a', 'b']) scoring.consume([toolCallEvent({ sessionId: id, tool: 'post_to_slack', toolClass: send, startTimeMs: t0 })]);
    scoring.useDetection(swapTo(sendCounter()));
    expect(scoring.awaitingRescore).toBe(2);
    scoring.tick();
    expect(scoring.awaitingRescore).toBe(1);
    expect(store.peek('b')!.findings.map((f) => f.detector)).toEqual(['sends']);
    expect(store.peek('a')!.findings).toEqual([]);
    scoring.tick();
    expect(scoring.awaitingRescore).toBe(0);
    expect(store.peek('a')!.findings.map((f) => f.detector)).toEqual(['sends']);
    expect(scoring.counters.rescoredAfterSwap).toBe(2);
  });

  it('never hands a new detector the old detectors\' state, also when a held session is settled idle', async () => {
    const store = new LruSessionStore({ maxSessions: 10, idleTtlMs: 50 });
    const { scoring, sink } = testScoringStage([categoryChainDetector('pii_access', 'external_communication')], { store });
    for (const id of ['a', 'b']) scoring.consume([toolCallEvent({ sessionId: id, tool: 'post_to_slack', toolClass: send, startTimeMs: t0 })]);
    scoring.useDetection(swapTo(sendCounter()));
    await new Promise((resolve) => setTimeout(resolve, 120));
    // One is re-scored by the tick's budget, the other as it leaves the store idle.
    scoring.tick();
    expect(store.size).toBe(0);
    expect(scoring.counters.detectorErrors).toBe(0);
    const settled = sink.scores.filter((update) => update.findings.some((f) => f.id === 'session-end'));
    expect(settled.map((update) => update.session).sort()).toEqual(['a', 'b']);
  });

  it('re-scores a session that goes idle before its turn, even when the new detectors find as much', async () => {
    const store = new LruSessionStore({ maxSessions: 10, idleTtlMs: 50 });
    const { scoring } = testScoringStage([categoryChainDetector('pii_access', 'external_communication', 0.9)], { store });
    for (const id of ['a', 'b']) {
      scoring.consume([
        toolCallEvent({ sessionId: id, tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 }),
        toolCallEvent({ sessionId: id, tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 }),
      ]);
    }
    // One finding each before and after: only its score differs.
    scoring.useDetection(swapTo(categoryChainDetector('pii_access', 'external_communication', 0.2)));
    await new Promise((resolve) => setTimeout(resolve, 120));
    scoring.tick();
    expect(store.size).toBe(0);
    expect(scoring.completedByLevel).toMatchObject({ low: 2, critical: 0 });
  });

  it('re-scores escalated sessions first, their renewals being decided on their risk', () => {
    const { scoring, store } = stage();
    scoring.consume([
      toolCallEvent({ sessionId: 'risky', tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 }),
      toolCallEvent({ sessionId: 'risky', tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 }),
    ]);
    // The most recently active, which would otherwise go first.
    scoring.consume([toolCallEvent({ sessionId: 'quiet', tool: 'search_docs', startTimeMs: t0 + 20 })]);
    expect(store.peek('risky')!.escalated).toBe(true);
    scoring.useDetection(swapTo(sendCounter()));
    scoring.tick();
    expect(store.peek('risky')!.findings.map((f) => f.detector)).toEqual(['sends']);
    expect(store.peek('risky')!.escalated).toBe(false);
    expect(scoring.awaitingRescore).toBe(1);
  });

  it('forgets the sessions that leave the store before their turn comes', () => {
    const { scoring, store } = stage({ maxSessions: 2 });
    for (const id of ['a', 'b']) scoring.consume([toolCallEvent({ sessionId: id, startTimeMs: t0 })]);
    scoring.useDetection(swapTo(sendCounter()));
    scoring.consume([toolCallEvent({ sessionId: 'c', startTimeMs: t0 })]);
    expect(store.evictions.capacity).toBe(1);
    expect(scoring.awaitingRescore).toBe(1);
  });

  it('previews a proposed call with the detection in use', () => {
    const { scoring } = stage();
    scoring.consume([toolCallEvent({ tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 })]);
    scoring.useDetection(swapTo(sendCounter()));
    const preview = scoring.preview('session-1', toolCallEvent({ spanId: 'f'.repeat(16), tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 10 }));
    expect(preview.findings.map((f) => f.detector)).toEqual(['sends']);
    expect(preview.score).toBeCloseTo(0.3);
  });
});

/**
 * Flags every send (0.3) and, when the session ends, says so; throws when handed a state it did not
 * create, so a swap that leaks the old detectors' states into it shows as a detector error.
 */
function sendCounter(): Detector<{ readonly owner: 'sends' }> {
  const own = (state: unknown): void => {
    if ((state as { owner?: string } | undefined)?.owner !== 'sends') throw new Error('not my state');
  };
  return {
    id: 'sends',
    async preload() {},
    createState: () => ({ owner: 'sends' }),
    observe({ state, call }) {
      own(state);
      if (call.event.toolClass.effect !== 'send') return [];
      return [{ detector: 'sends', id: 'send', severity: 'low', score: 0.3, message: 'a send', callIndex: call.index, spanIds: [call.event.spanId] }];
    },
    observeEnd(session, state) {
      own(state);
      const last = session.calls.length - 1;
      return [{ detector: 'sends', id: 'session-end', severity: 'info', score: 0, message: 'ended', callIndex: last, spanIds: [] }];
    },
    async shutdown() {},
  };
}

describe('ScoringStage, evidence kept beyond the session', () => {
  it('matches a sequence joined by trace in the order the calls ran, not the order their spans came', () => {
    const readThenSend = () => rulesDetector(
      '  - rule: read-then-send',
      '    description: Personal data read, then sent out',
      '    severity: high',
      '    sequence:',
      '      by: [trace]',
      '      maxspan: 10m',
      '      steps:',
      '        - match: {category: pii_access}',
      '        - match: {category: external_communication}',
    );
    const run = (sendAtMs: number) => {
      const { scoring, store } = testScoringStage([readThenSend()]);
      scoring.consume([toolCallEvent({ tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 + 2_000 })]);
      scoring.consume([toolCallEvent({ tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + sendAtMs })]);
      return store.peek('session-1')!.findings.map((f) => f.id);
    };
    expect(run(3_000)).toEqual(['read-then-send']);
    // The send ran first; its span merely came last.
    expect(run(1_000)).toEqual([]);
  });

  it('settles a match waiting out a missing step in the session its calls were filed under', () => {
    const detector = rulesDetector(
      '  - rule: send-without-audit',
      '    description: Personal data read and sent out, and no audit record within the minute',
      '    severity: high',
      '    sequence:',
      '      by: [trace]',
      '      maxspan: 1m',
      '      steps:',
      '        - match: {category: pii_access}',
      '        - match: {category: external_communication}',
      '        - missing: {tool: write_audit_record}',
    );
    const { scoring, store } = testScoringStage([detector]);
    const transport = { sessionId: 'mcp-1', sessionKey: 'transport' as const };
    // The conversation is known first; the MCP server's spans name only their transport session.
    scoring.consume([toolCallEvent({ tool: 'lookup', startTimeMs: t0 })]);
    scoring.consume([toolCallEvent({ ...transport, tool: 'query_customer_pii', toolClass: pii, startTimeMs: t0 + 1_000 })]);
    scoring.consume([toolCallEvent({ ...transport, tool: 'post_to_slack', toolClass: send, startTimeMs: t0 + 2_000 })]);
    expect(store.peek('mcp-1')).toBeUndefined();
    scoring.sweep(t0 + 120_000);
    expect(store.peek('session-1')!.findings.map((f) => [f.id, f.callIndex])).toEqual([['send-without-audit', 2]]);
  });

  it('never counts again the calls a trace takes from its MCP session to its conversation', () => {
    const { scoring, store } = testScoringStage([userTmpDeletes()], { maxSessions: 1_000, limits: { maxCalls: 64, maxTraceIds: 4, maxFindings: 8 } });
    const [first, second] = ['1'.repeat(32), '2'.repeat(32)];
    const transport = { sessionId: 'mcp-1', sessionKey: 'transport' as const };
    scoring.consume([
      ...[0, 1, 2].map((i) => deleteCall({ ...transport, traceId: first, arguments: { path: `/tmp/x/${i}` }, startTimeMs: t0 + i })),
      deleteCall({ ...transport, traceId: second, arguments: { path: '/home/alice/notes' }, startTimeMs: t0 + 5 }),
    ]);
    // More of the user's calls than the rule remembers span ids for, in few traces (the stage remembers 100).
    for (let s = 0; s < 300; s++) {
      const session = `b${s % 5}`;
      scoring.consume([deleteCall({ sessionId: session, traceId: session.padEnd(32, '0'), arguments: { path: `/home/alice/f${s}` }, startTimeMs: t0 + 10 + s })]);
    }
    // The conversation is named: the first trace's three deletes move to it and are replayed there.
    scoring.consume([toolCallEvent({ sessionId: 'conv-1', traceId: first, tool: 'search_docs', userId: 'alice', startTimeMs: t0 + 400 })]);
    expect(store.peek('conv-1')!.calls).toHaveLength(4);
    expect(store.peek('conv-1')!.findings).toEqual([]);
  });

  it("counts a call once when its client's span replaces its server's, through a replay", () => {
    const { scoring, store } = testScoringStage([userTmpDeletes()]);
    for (let i = 0; i < 3; i++) {
      const client = (i * 2 + 1).toString(16).padStart(16, 'c');
      scoring.consume([deleteCall({ spanId: (i * 2 + 2).toString(16).padStart(16, 'd'), parentSpanId: client, spanKind: SpanKind.SERVER, arguments: { path: `/tmp/x/${i}` }, startTimeMs: t0 + i * 10 + 1 })]);
      scoring.consume([deleteCall({ spanId: client, spanKind: SpanKind.CLIENT, arguments: { path: `/tmp/x/${i}` }, startTimeMs: t0 + i * 10 })]);
    }
    scoring.consume([sessionRootEvent({ userId: 'alice', startTimeMs: t0 - 10 })]);
    expect(store.peek('session-1')!.calls).toHaveLength(3);
    expect(store.peek('session-1')!.findings).toEqual([]);
  });

  it('never counts a call twice when its session is replayed, however many calls of the key came between', () => {
    const { scoring, store } = testScoringStage([userTmpDeletes()], { maxSessions: 1_000, limits: { maxCalls: 64, maxTraceIds: 4, maxFindings: 8 } });
    const del = (sessionId: string, path: string, startTimeMs: number) =>
      deleteCall({ sessionId, traceId: sessionId.padEnd(32, '0'), arguments: { path }, startTimeMs });
    scoring.consume([0, 1, 2, 3].map((i) => del('a1', `/tmp/x/${i}`, t0 + i * 1_000)));
    // More of the user's calls than the rule remembers span ids for.
    for (let s = 0; s < 300; s++) scoring.consume([del(`b${s}`, `/home/alice/f${s}`, t0 + 5_000 + s)]);
    // The turn's root span replays the session from fresh states.
    scoring.consume([sessionRootEvent({ sessionId: 'a1', traceId: 'a1'.padEnd(32, '0'), userId: 'alice', startTimeMs: t0 - 10 })]);
    expect(store.peek('a1')!.findings).toEqual([]);
    scoring.consume([del('a1', '/tmp/x/4', t0 + 4_000)]);
    expect(store.peek('a1')!.findings.map((f) => f.id)).toEqual(['user-tmp-deletes']);
  });
});

/** Five deletes under /tmp/x by one user within ten minutes: state kept beyond the session. */
function userTmpDeletes() {
  return rulesDetector(
    '  - rule: user-tmp-deletes',
    '    description: Many deletes under /tmp/x by one user',
    '    severity: high',
    '    threshold:',
    '      match: {all: [{tool: delete_file}, {args.path: {starts_with: /tmp/x}}]}',
    '      by: user',
    '      window: 10m',
    '      condition: {gte: 5}',
  );
}

/** Alice deleting a file. */
function deleteCall(overrides: Parameters<typeof toolCallEvent>[0]) {
  const remove = { category: 'file_write', effect: 'delete', sensitive: false, cost: 0, inferred: false } as const;
  return toolCallEvent({ tool: 'delete_file', toolClass: remove, userId: 'alice', ...overrides });
}

/** A rule detector with one sequence: logging disabled and not enabled again within a minute. */
function loggingLeftOffRule(by: string) {
  return rulesDetector(
    '  - rule: logging-left-off',
    '    description: Logging turned off and not back on',
    '    severity: critical',
    '    sequence:',
    `      ${by}`,
    '      maxspan: 1m',
    '      steps:',
    '        - match: {tool: disable_logging}',
    '        - missing: {tool: enable_logging}',
  );
}

/** A rule detector over one rule file of these elements (its lines under `elements:`). */
function rulesDetector(...elementLines: string[]) {
  const rules = new RuleSetManager();
  const outcome = rules.loadSources([{ file: 'rules/local.yaml', text: ['version: 1', 'elements:', ...elementLines, ''].join('\n') }]);
  if (!outcome.ok) throw new Error(outcome.report);
  return createRuleDetector(rules);
}
