import { describe, expect, it } from 'vitest';
import { sessionOf, toolCall } from '../../helpers/tool-calls.js';
import { engineOf, ids, ruleFile, run } from './harness.js';

function thresholdRule(body: string): string {
  const indented = body
    .trim()
    .split('\n')
    .map((l) => `    ${l.trim()}`)
    .join('\n');
  return ruleFile(`- rule: t\n  description: Test threshold\n  severity: medium\n  threshold:\n${indented}\n`);
}

describe('threshold: event count', () => {
  const rules = thresholdRule(`
    match: {category: data_access}
    window: 10s
    condition: {gte: 3}
  `);

  it('fires when the count in the window reaches the threshold, once per episode', () => {
    const { detector } = engineOf(rules);
    const calls = [0, 1, 2, 3, 4].map((at) => toolCall({ tool: 'read', at }));
    const findings = run(detector, sessionOf(calls));
    expect(findings.map((f) => f.callIndex)).toEqual([2]);
    expect(findings[0]!.message).toBe(
      'Test threshold: read (#0) → read (#1) → read (#2) (3 calls within 10s) in session session-1 [rule t].',
    );
  });

  it('slides: calls older than the window do not count', () => {
    const { detector } = engineOf(rules);
    const calls = [0, 6, 12, 18].map((at) => toolCall({ tool: 'read', at }));
    expect(run(detector, sessionOf(calls))).toEqual([]);
  });

  it('re-arms once the condition is false again', () => {
    const { detector } = engineOf(rules);
    const calls = [0, 1, 2, 30, 31, 32].map((at) => toolCall({ tool: 'read', at }));
    expect(run(detector, sessionOf(calls)).map((f) => f.callIndex)).toEqual([2, 5]);
  });

  it('counts only calls the match selects', () => {
    const { detector } = engineOf(rules);
    const calls = [0, 1, 2].map((at) => toolCall({ tool: 'send', category: 'external_communication', at }));
    expect(run(detector, sessionOf(calls))).toEqual([]);
  });

  it('gt is strict', () => {
    const { detector } = engineOf(thresholdRule('window: 10s\ncondition: {gt: 3}'));
    expect(run(detector, sessionOf([0, 1, 2].map((at) => toolCall({ at }))))).toEqual([]);
    expect(run(detector, sessionOf([0, 1, 2, 3].map((at) => toolCall({ at })))).map((f) => f.callIndex)).toEqual([3]);
  });
});

describe('threshold: distinct values (value_count)', () => {
  const rules = thresholdRule(`
    match: {sensitive: true}
    window: 60s
    aggregate: distinct
    field: server
    condition: {gt: 3}
  `);

  it('fires on the fourth distinct server and names them', () => {
    const { detector } = engineOf(rules);
    const servers = ['hr', 'hr', 'crm', 'vault', 'crm', 'payroll'];
    const session = sessionOf(servers.map((server, at) => toolCall({ server, sensitive: true, at })));
    const findings = run(detector, session);
    expect(findings.map((f) => f.callIndex)).toEqual([5]);
    expect(findings[0]!.calls.map((c) => c.index)).toEqual([0, 2, 3, 5]);
    expect(findings[0]!.message).toContain('(4 distinct server values within 60s: hr, crm, vault, payroll)');
  });

  it('does not fire for the same servers again or when spread beyond the window', () => {
    const { detector } = engineOf(rules);
    const few = sessionOf(['hr', 'crm', 'hr', 'vault', 'crm'].map((server, at) => toolCall({ server, sensitive: true, at })));
    expect(run(detector, few)).toEqual([]);
    const slow = sessionOf(['a', 'b', 'c', 'd'].map((server, i) => toolCall({ server, sensitive: true, at: i * 30 })));
    expect(run(detector, slow)).toEqual([]);
  });
});

describe('threshold: sum and rate', () => {
  it('sum of a numeric field (catalog cost)', () => {
    const { detector } = engineOf(thresholdRule('window: 1m\naggregate: sum\nfield: cost\ncondition: {gte: 10}'));
    const costs = [3, 3, 3, 0.5, 0.5];
    const findings = run(detector, sessionOf(costs.map((cost, at) => toolCall({ cost, at }))));
    expect(findings.map((f) => f.callIndex)).toEqual([4]);
    expect(findings[0]!.message).toContain('(cost adds up to 10 within 60s)');
  });

  it('sum of an argument', () => {
    const { detector } = engineOf(
      thresholdRule('match: {tool: transfer}\nby: user\nwindow: 1h\naggregate: sum\nfield: args.amount\ncondition: {gt: 10000}'),
    );
    const amounts = ['4000', '4000', '2500'];
    const session = sessionOf(amounts.map((amount, at) => toolCall({ tool: 'transfer', arguments: { amount }, at })));
    expect(run(detector, session).map((f) => [f.key, f.callIndex])).toEqual([['alice', 2]]);
  });

  it('rate in calls per second', () => {
    const { detector } = engineOf(thresholdRule('window: 10s\naggregate: rate\ncondition: {gte: 2}'));
    const slow = sessionOf(Array.from({ length: 30 }, () => toolCall()), { spacingMs: 1000 });
    expect(run(detector, slow)).toEqual([]);
    const fast = sessionOf(Array.from({ length: 30 }, () => toolCall()), { spacingMs: 400 });
    expect(run(detector, fast).map((f) => f.callIndex)).toEqual([19]);
  });

  it('rate against the key baseline: a burst far above the usual rate', () => {
    const { detector } = engineOf(
      thresholdRule('window: 10s\naggregate: rate\ncondition: {gte: 1}\nbaseline: {factor: 5, min_history: 60s}'),
    );
    const steadyFast = sessionOf(Array.from({ length: 200 }, () => toolCall()), { spacingMs: 800 });
    expect(run(detector, steadyFast)).toEqual([]);
    const calm = Array.from({ length: 10 }, (_, i) => toolCall({ at: i * 20 }));
    const burst = Array.from({ length: 15 }, (_, i) => toolCall({ at: 200 + i * 0.3 }));
    const findings = run(detector, sessionOf([...calm, ...burst]));
    expect(findings.map((f) => f.callIndex)).toEqual([19]);
    expect(findings[0]!.message).toMatch(/calls\/s over 10s, [\d.]+x the usual rate/);
    // The same burst at the start of a session has no history to compare with.
    expect(run(detector, sessionOf(burst))).toEqual([]);
  });
});

describe('threshold: grouping and identical-call repetition', () => {
  const rules = thresholdRule('by: [session, tool, args]\nwindow: 60s\ncondition: {gte: 3}');

  it('counts identical calls (same tool and arguments)', () => {
    const { detector } = engineOf(rules);
    const same = () => toolCall({ tool: 'get_price', arguments: { sku: 'A1', currency: 'EUR' } });
    const reordered = toolCall({ tool: 'get_price', arguments: { currency: 'EUR', sku: 'A1' } });
    const findings = run(detector, sessionOf([same(), same(), reordered]));
    expect(findings.map((f) => f.callIndex)).toEqual([2]);
  });

  it('does not count calls that differ in tool or arguments', () => {
    const { detector } = engineOf(rules);
    const session = sessionOf([
      toolCall({ tool: 'get_price', arguments: { sku: 'A1' } }),
      toolCall({ tool: 'get_price', arguments: { sku: 'A2' } }),
      toolCall({ tool: 'get_stock', arguments: { sku: 'A1' } }),
      toolCall({ tool: 'get_price', arguments: { sku: 'A1' } }),
    ]);
    expect(run(detector, session)).toEqual([]);
  });

  it('tells long arguments apart by all of them, though it keys them by a prefix and a digest', () => {
    const { detector } = engineOf(rules);
    const body = (tail: string) => toolCall({ tool: 'send', arguments: { text: `${'x'.repeat(10_000)}${tail}` } });
    expect(run(detector, sessionOf([body('a'), body('b'), body('a')]))).toEqual([]);
    const findings = run(detector, sessionOf([body('a'), body('a'), body('a')], { id: 'session-2' }));
    expect(findings.map((f) => f.callIndex)).toEqual([2]);
  });

  it('groups by a field within the session', () => {
    const { detector } = engineOf(thresholdRule('by: [session, tool]\nwindow: 60s\ncondition: {gte: 2}'));
    const session = sessionOf([toolCall({ tool: 'a' }), toolCall({ tool: 'b' }), toolCall({ tool: 'a' })]);
    const findings = run(detector, session);
    expect(findings.map((f) => [f.key, f.callIndex])).toEqual([['a', 2]]);
    expect(findings[0]!.message).toContain('in session session-1 for tool a');
  });

  it('exceptions exclude calls from the count', () => {
    const { detector } = engineOf(
      ruleFile(
        '- rule: t\n  description: d\n  severity: low\n  threshold: {window: 1m, condition: {gte: 2}}\n  exceptions:\n    - {name: health, match: {tool: ping}}',
      ),
    );
    expect(run(detector, sessionOf([toolCall({ tool: 'ping' }), toolCall({ tool: 'ping' }), toolCall({ tool: 'x' })]))).toEqual([]);
    expect(ids(run(detector, sessionOf([toolCall({ tool: 'ping' }), toolCall({ tool: 'x' }), toolCall({ tool: 'y' })])))).toEqual(['t']);
  });
});

describe('threshold: keyed beyond the session, spans arriving late', () => {
  const byUser = thresholdRule('by: user\nwindow: 60s\ncondition: {gte: 3}');
  /** One call per session (all of user alice), fed in the order given: the order their spans arrived. */
  const arrive = (detector: ReturnType<typeof engineOf>['detector'], ...times: number[]) =>
    times.flatMap((at, i) => run(detector, sessionOf([toolCall({ tool: 'read', at })], { id: `s-${i}` })));

  it('does not count a late call that ran before the window ending at the latest call', () => {
    const { detector } = engineOf(byUser);
    expect(arrive(detector, 100, 101, 10)).toEqual([]);
  });

  it('counts a late call that ran within that window, and names the calls in the order they ran', () => {
    const { detector } = engineOf(byUser);
    const findings = arrive(detector, 100, 101, 90);
    expect(findings.map((f) => f.calls.map((c) => c.sessionId))).toEqual([['s-2', 's-0', 's-1']]);
  });

  it('a window slides on the latest start, so calls the late one pushed out do not come back', () => {
    const { detector } = engineOf(byUser);
    // 0 and 1 leave the window when 100 comes; 5 comes late and is history, not a third call in it.
    expect(arrive(detector, 0, 1, 100, 5, 101)).toEqual([]);
  });
});
