import { describe, expect, it } from 'vitest';
import type { Detector } from '../../src/detectors/detector.js';
import { RuleSetManager, createRuleDetector } from '../../src/detectors/rules/index.js';
import { ToolCatalog, parseToolCatalog } from '../../src/normalize/index.js';
import { inferToolClass } from '../../src/normalize/tool-inference.js';
import { decide, PreflightCheck, preflightThresholds } from '../../src/scoring/preflight.js';
import { DEFAULT_LEVEL_THRESHOLDS } from '../../src/scoring/risk-combiner.js';
import { toolCallEvent } from '../helpers/normalized-events.js';
import { testScoringStage } from '../helpers/scoring-stage.js';
import { categoryChainDetector } from '../helpers/sequence-detector.js';

/** 0.4 for any code execution: between the review and deny thresholds. */
const codeRuns: Detector<null> = {
  id: 'code',
  async preload() {},
  createState: () => null,
  observe: ({ call }) =>
    call.event.toolClass.category === 'code_execution'
      ? [{ detector: 'code', id: 'ran', severity: 'medium', score: 0.4, message: 'code ran', callIndex: call.index, spanIds: [call.event.spanId] }]
      : [],
  async shutdown() {},
};

function setup() {
  const { scoring, sink, store } = testScoringStage([categoryChainDetector('pii_access', 'external_communication'), codeRuns], {
    limits: { maxCalls: 16, maxTraceIds: 4, maxFindings: 16 },
    clock: () => 1_700_000_010_000,
  });
  const thresholds = preflightThresholds(DEFAULT_LEVEL_THRESHOLDS);
  const preflight = new PreflightCheck({ scoring, catalog: new ToolCatalog(), thresholds, clock: () => 1_700_000_010_000 });
  return { sink, store, scoring, preflight, thresholds };
}

const pii = inferToolClass('query_customer_pii');

describe('pre-flight check', () => {
  it('decides by the thresholds: allow below review, review below deny, deny above', () => {
    const { scoring, preflight, thresholds } = setup();
    expect(thresholds).toEqual({ reviewAt: DEFAULT_LEVEL_THRESHOLDS.medium, denyAt: DEFAULT_LEVEL_THRESHOLDS.high });
    scoring.consume([toolCallEvent({ tool: 'query_customer_pii', toolClass: pii })]);
    expect(pii.category).toBe('pii_access');

    const allow = preflight.check({ session: 'session-1', tool: 'search_docs', arguments: { q: 'x' } });
    expect(allow).toMatchObject({ decision: 'allow', known: true, score: 0, findings: [] });
    const review = preflight.check({ session: 'session-1', tool: 'run_python', arguments: { code: 'print(1)' } });
    expect(review).toMatchObject({ decision: 'review', category: 'code_execution', findings: [{ detector: 'code', callIndex: 1 }] });
    expect(review.score).toBeCloseTo(0.4);
    const deny = preflight.check({ session: 'session-1', tool: 'post_to_slack', arguments: { text: 'alice@acme.test' } });
    expect(deny).toMatchObject({ decision: 'deny', level: 'critical', current: { score: 0, level: 'none' } });
    expect(deny.findings.map((f) => f.id)).toEqual(['pii_access->external_communication']);
  });

  it('leaves the session, the store and the sinks as they were', () => {
    const { sink, store, scoring, preflight } = setup();
    scoring.consume([toolCallEvent({ tool: 'query_customer_pii', toolClass: pii })]);
    const session = store.peek('session-1')!;
    const before = {
      calls: [...session.calls],
      findings: [...session.findings],
      states: session.detectorStates,
      score: session.score,
      lastSeenMs: session.lastSeenMs,
      traceIds: [...session.traceIds],
      escalated: session.escalated,
      trust: session.trust,
    };
    const published = { scores: sink.scores.length, alerts: sink.alerts.length, signals: sink.signals.length };

    expect(preflight.check({ session: 'session-1', tool: 'post_to_slack', userId: 'mallory' }).decision).toBe('deny');
    expect(preflight.check({ session: 'never-seen', tool: 'post_to_slack' })).toMatchObject({ known: false, decision: 'allow' });

    expect(store.size).toBe(1);
    expect(store.peek('never-seen')).toBeUndefined();
    expect(session.calls).toEqual(before.calls);
    expect(session.findings).toEqual(before.findings);
    expect(session.detectorStates).toBe(before.states);
    expect({ score: session.score, lastSeenMs: session.lastSeenMs, traceIds: session.traceIds, escalated: session.escalated, trust: session.trust }).toEqual({
      score: before.score,
      lastSeenMs: before.lastSeenMs,
      traceIds: before.traceIds,
      escalated: before.escalated,
      trust: before.trust,
    });
    expect({ scores: sink.scores.length, alerts: sink.alerts.length, signals: sink.signals.length }).toEqual(published);

    // The call, when it does run, scores as the check said it would.
    scoring.consume([toolCallEvent({ tool: 'post_to_slack', toolClass: inferToolClass('post_to_slack'), startTimeMs: 1_700_000_000_100 })]);
    expect(session.score).toBeCloseTo(0.9);
  });

  it('does not count the proposed call in state shared across sessions (rules joined by user)', () => {
    const rules = new RuleSetManager();
    const loaded = rules.loadSources([
      {
        file: 'user-rules.yaml',
        text: [
          'version: 1',
          'elements:',
          '  - rule: user-sends-thrice',
          '    description: a user sends three times within an hour, across sessions',
          '    severity: high',
          '    threshold:',
          '      match: {category: external_communication}',
          '      by: user',
          '      window: 1h',
          '      aggregate: count',
          '      condition: {gte: 3}',
        ].join('\n'),
      },
    ]);
    expect(loaded.ok).toBe(true);
    const { scoring } = testScoringStage([createRuleDetector(rules)], { clock: () => 1_700_000_010_000 });
    const preflight = new PreflightCheck({ scoring, catalog: new ToolCatalog(), thresholds: preflightThresholds(DEFAULT_LEVEL_THRESHOLDS), clock: () => 1_700_000_010_000 });
    const send = inferToolClass('post_to_slack');
    scoring.consume([toolCallEvent({ sessionId: 'a', tool: 'post_to_slack', toolClass: send })]);
    for (let i = 0; i < 3; i++) preflight.check({ session: 'a', tool: 'post_to_slack', userId: 'alice' });
    // Had the three what-ifs counted, this second real send would already be the fifth.
    scoring.consume([toolCallEvent({ sessionId: 'b', tool: 'post_to_slack', toolClass: send, startTimeMs: 1_700_000_000_050 })]);
    expect(scoring.store.peek('b')!.findings).toEqual([]);
    scoring.consume([toolCallEvent({ sessionId: 'b', tool: 'post_to_slack', toolClass: send, startTimeMs: 1_700_000_000_100 })]);
    expect(scoring.store.peek('b')!.findings.map((f) => f.id)).toEqual(['user-sends-thrice']);
  });

  it("places the proposed call on the catalog's server when the request names none", () => {
    const serverSeen: Detector<null> = {
      id: 'server',
      async preload() {},
      createState: () => null,
      observe: ({ call }) => [
        { detector: 'server', id: 'seen', severity: 'info', score: 0.01, message: call.event.server, callIndex: call.index, spanIds: [] },
      ],
      async shutdown() {},
    };
    const { scoring } = testScoringStage([serverSeen], { clock: () => 1_700_000_010_000 });
    const catalog = parseToolCatalog('tools:\n  export_table: {category: pii_access, effect: read, server: db-mcp.internal}\n', 'servers.yaml');
    const preflight = new PreflightCheck({ scoring, catalog, thresholds: preflightThresholds(DEFAULT_LEVEL_THRESHOLDS), clock: () => 1_700_000_010_000 });
    const serverOf = (call: Parameters<PreflightCheck['check']>[0]) => preflight.check(call).findings.map((f) => f.message);
    expect(serverOf({ session: 'a', tool: 'export_table' })).toEqual(['db-mcp.internal']);
    expect(serverOf({ session: 'a', tool: 'export_table', server: 'replica-mcp.internal' })).toEqual(['replica-mcp.internal']);
    expect(serverOf({ session: 'a', tool: 'not_in_the_catalog' })).toEqual(['']);
  });

  it('rejects thresholds out of order', () => {
    expect(() => preflightThresholds(DEFAULT_LEVEL_THRESHOLDS, { reviewAt: 0.8, denyAt: 0.5 })).toThrow(/reviewAt \(0.8\) <= denyAt \(0.5\)/);
    expect(decide(0.5, { reviewAt: 0.5, denyAt: 0.9 })).toBe('review');
    expect(decide(0.9, { reviewAt: 0.5, denyAt: 0.9 })).toBe('deny');
  });
});
