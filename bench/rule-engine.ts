import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RuleSetManager, createRuleDetector } from '../src/detectors/rules/index.js';
import type { RuleSource } from '../src/detectors/rules/index.js';
import { TOOL_CATEGORIES, TOOL_EFFECTS } from '../src/normalize/events.js';
import type { ToolCallEvent } from '../src/normalize/events.js';
import type { CallRecord, SessionView } from '../src/session/session-view.js';

export interface RuleEngineBenchOptions {
  readonly sessions?: number;
  readonly callsPerSession?: number;
  /** Rules generated for the large-set run. */
  readonly generatedRules?: number;
  readonly defaultRulesPath?: string;
}

/** Events per second through the rules detector, with an empty rule set as the baseline. */
export interface RuleEngineBenchResult {
  readonly events: number;
  readonly emptySetEventsPerSec: number;
  readonly defaultRulesEventsPerSec: number;
  readonly defaultRuleCount: number;
  readonly generatedRulesEventsPerSec: number;
  readonly generatedRuleCount: number;
  readonly findingsDefault: number;
  readonly findingsGenerated: number;
}

const TOOLS = 120;

/** Deterministic pseudo-random numbers, so every run measures the same workload. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function toolClassOf(n: number): ToolCallEvent['toolClass'] {
  return {
    category: TOOL_CATEGORIES[n % TOOL_CATEGORIES.length]!,
    effect: TOOL_EFFECTS[(n >> 3) % TOOL_EFFECTS.length]!,
    sensitive: n % 7 === 0,
    cost: n % 11 === 0 ? 1 : 0,
    inferred: false,
  };
}

function workload(sessions: number, callsPerSession: number): ToolCallEvent[][] {
  const next = random(42);
  const out: ToolCallEvent[][] = [];
  for (let s = 0; s < sessions; s++) {
    const calls: ToolCallEvent[] = [];
    let time = 1_700_000_000_000 + s * 1000;
    for (let c = 0; c < callsPerSession; c++) {
      const n = Math.floor(next() * TOOLS);
      time += Math.floor(next() * 4000);
      calls.push({
        type: 'tool_call',
        sessionId: `s-${s}`,
        sessionKey: 'conversation',
        traceId: `t-${s}`,
        spanId: `${s}-${c}`,
        parentSpanId: '',
        service: 'bench-agent',
        startTimeMs: time,
        convention: 'semconv',
        spanKind: 3,
        tool: `tool_${n}`,
        server: `server_${n % 9}`,
        toolClass: toolClassOf(n),
        arguments: { id: Math.floor(next() * 50), to: `user${Math.floor(next() * 20)}@example.com`, query: 'status of order 1234' },
        result: `{"ok":true,"items":[{"id":${c},"email":"user${c % 20}@example.com"}]}`,
        status: next() < 0.05 ? 'error' : 'ok',
        errorType: '',
        durationMs: 100,
        requestId: String(c),
        userId: `user-${s % 97}`,
        attestation: '',
      });
    }
    out.push(calls);
  }
  return out;
}

/** 200 rules of every kind over the synthetic tools, as a large deployment might have. */
export function generatedRuleSource(count: number): RuleSource {
  const lines = ['version: 1', 'elements:', '  - list: hot_tools', `    items: [${Array.from({ length: 10 }, (_, i) => `tool_${i * 3}`).join(', ')}]`];
  for (let i = 0; i < count; i++) {
    const a = `tool_${i % TOOLS}`;
    const b = `tool_${(i * 7 + 3) % TOOLS}`;
    const category = TOOL_CATEGORIES[i % TOOL_CATEGORIES.length]!;
    lines.push(`  - rule: gen-${i}`, `    description: generated rule ${i}`, '    severity: medium');
    switch (i % 5) {
      case 0:
        lines.push('    sequence:', '      maxspan: 5m', `      steps: [{match: {tool: ${a}}}, {match: {category: ${category}}}, {match: {tool: ${b}}}]`);
        break;
      case 1:
        lines.push('    sequence:', '      by: user', '      maxspan: 10m', `      steps: [{match: {tool: ${a}}}, {missing: {tool: ${b}}}, {match: {category: ${category}}}]`);
        break;
      case 2:
        lines.push('    threshold:', `      match: {category: ${category}}`, '      window: 60s', '      aggregate: distinct', '      field: server', `      condition: {gt: ${3 + (i % 4)}}`);
        break;
      case 3:
        lines.push('    threshold:', `      match: {tool: {in: $hot_tools}}`, '      by: [session, tool]', '      window: 30s', `      condition: {gte: ${5 + (i % 5)}}`);
        break;
      default:
        lines.push(`    match: {tool: ${a}, args.to: {email_domain_outside: [corp.example]}, args.query: {matches: "order \\\\d+"}}`);
        break;
    }
  }
  return { file: 'generated.yaml', text: `${lines.join('\n')}\n` };
}

function measure(sources: readonly RuleSource[], sessions: readonly ToolCallEvent[][]): { perSec: number; findings: number; rules: number } {
  const manager = new RuleSetManager();
  const outcome = manager.loadSources(sources);
  if (!outcome.ok) throw new Error(`benchmark rules do not compile:\n${outcome.report}`);
  const detector = createRuleDetector(manager);
  let events = 0;
  let findings = 0;
  const start = performance.now();
  for (const calls of sessions) {
    const records: CallRecord[] = [];
    const session: SessionView = {
      id: calls[0]!.sessionId,
      service: 'bench-agent',
      traceIds: [calls[0]!.traceId],
      prompt: '',
      userId: calls[0]!.userId,
      trust: 'unverified',
      revision: 0,
      calls: records,
      firstSeenMs: calls[0]!.startTimeMs,
      lastSeenMs: calls[calls.length - 1]!.startTimeMs,
      ended: false,
    };
    const state = detector.createState(session);
    for (const event of calls) {
      const call: CallRecord = { index: records.length, event, origin: 'user' };
      records.push(call);
      findings += detector.observe({ session, state, call }).length;
      events++;
    }
    findings += detector.observeEnd?.(session, state).length ?? 0;
  }
  const seconds = (performance.now() - start) / 1000;
  return { perSec: Math.round(events / seconds), findings, rules: outcome.summary.rules };
}

/** Events/s through the rules detector: empty set (baseline), default rules, and generated rules. */
export async function benchRuleEngine(options: RuleEngineBenchOptions = {}): Promise<RuleEngineBenchResult> {
  const sessions = workload(options.sessions ?? 2_000, options.callsPerSession ?? 50);
  const events = sessions.reduce((sum, calls) => sum + calls.length, 0);
  const defaults: RuleSource = {
    file: 'rules/default.yaml',
    text: readFileSync(options.defaultRulesPath ?? resolve(process.cwd(), 'rules/default.yaml'), 'utf8'),
  };
  const generated = generatedRuleSource(options.generatedRules ?? 200);
  // Warm-up so the JIT has compiled the hot path before anything is timed.
  measure([defaults], sessions.slice(0, 200));
  measure([generated], sessions.slice(0, 200));
  const empty = measure([{ file: 'empty.yaml', text: 'version: 1\nelements: []\n' }], sessions);
  const withDefaults = measure([defaults], sessions);
  const withGenerated = measure([generated], sessions);
  return {
    events,
    emptySetEventsPerSec: empty.perSec,
    defaultRulesEventsPerSec: withDefaults.perSec,
    defaultRuleCount: withDefaults.rules,
    generatedRulesEventsPerSec: withGenerated.perSec,
    generatedRuleCount: withGenerated.rules,
    findingsDefault: withDefaults.findings,
    findingsGenerated: withGenerated.findings,
  };
}
