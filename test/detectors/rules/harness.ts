import { expect } from 'vitest';
import {
  RuleSetManager,
  createRuleDetector,
} from '../../../src/detectors/rules/index.js';
import type {
  ReloadOutcome,
  RuleDetector,
  RuleDetectorOptions,
  RuleFinding,
  RuleSource,
} from '../../../src/detectors/rules/index.js';
import type { RuleSessionState } from '../../../src/detectors/rules/index.js';
import type { SessionView } from '../../../src/session/session-view.js';

/** Strips the common indentation of a template literal, so rule YAML can be written inline. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, part, i) => acc + part + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.replace(/^\n/, '').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const common = indents.length === 0 ? 0 : Math.min(...indents);
  return lines.map((l) => l.slice(common)).join('\n');
}

/** A rule file of these elements (YAML list items, unindented). */
export function ruleFile(elements: string): string {
  const indented = elements
    .split('\n')
    .map((l) => (l.trim() === '' ? l : `  ${l}`))
    .join('\n');
  return `version: 1\nelements:\n${indented}\n`;
}

export interface Engine {
  readonly manager: RuleSetManager;
  readonly detector: RuleDetector;
  readonly outcome: ReloadOutcome;
}

/** Compiles rule text (must be valid) into a manager and a detector. */
export function engineOf(
  sources: string | readonly RuleSource[],
  options: RuleDetectorOptions = {},
): Engine {
  const manager = new RuleSetManager();
  const list = typeof sources === 'string' ? [{ file: 'test.yaml', text: sources }] : sources;
  const outcome = manager.loadSources(list);
  expect(outcome.report, 'rules should compile').toMatch(/loaded version/);
  expect(outcome.ok).toBe(true);
  return { manager, detector: createRuleDetector(manager, options), outcome };
}

export interface RunOptions {
  /** Let observe see the prompt from the first call (default: only at the session end, as in production). */
  readonly promptFromStart?: boolean;
  /** Call observeEnd after the last call (default: when the session says it ended). */
  readonly end?: boolean;
  /** Reuse a state (e.g. to continue a session); default a fresh one. */
  readonly state?: RuleSessionState;
}

/**
 * Feeds a session to the detector one call at a time, as the session stage does: each observe sees
 * the calls so far; the prompt arrives with the root span at the end.
 */
export function run(detector: RuleDetector, session: SessionView, options: RunOptions = {}): RuleFinding[] {
  const state = options.state ?? detector.createState(session);
  const findings: RuleFinding[] = [];
  for (let i = 0; i < session.calls.length; i++) {
    const view: SessionView = {
      ...session,
      prompt: options.promptFromStart ? session.prompt : '',
      ended: false,
      calls: session.calls.slice(0, i + 1),
    };
    findings.push(...(detector.observe({ session: view, state, call: session.calls[i]! }) as RuleFinding[]));
  }
  if (options.end ?? session.ended) {
    findings.push(...((detector.observeEnd?.({ ...session, ended: true }, state) ?? []) as RuleFinding[]));
  }
  return findings;
}

/** Ids of the findings, in order. */
export function ids(findings: readonly RuleFinding[]): string[] {
  return findings.map((f) => f.id);
}
