import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RuleLoadError,
  RuleSetManager,
  checkRuleFiles,
  createRuleDetector,
} from '../../../src/detectors/rules/index.js';
import type { RuleFinding } from '../../../src/detectors/rules/index.js';
import { sessionOf, toolCall } from '../../helpers/tool-calls.js';
import { waitFor } from '../../helpers/wait-for.js';
import { ruleFile } from './harness.js';

const READ_SEND = ruleFile(
  '- rule: read-send\n  description: Read then send\n  severity: high\n  sequence:\n    steps: [{match: {tool: read}}, {match: {tool: send}}]',
);
const WITH_COUNT = `${READ_SEND}\n  - rule: many\n    description: Many calls\n    severity: low\n    threshold: {window: 1m, condition: {gte: 100}}\n`;
const BROKEN = ruleFile('- rule: read-send\n  description: Read then send\n  severity: hgh\n  match: {tool: read}');

let dir: string;
let managers: RuleSetManager[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chainwatch-rules-'));
});
afterEach(async () => {
  await Promise.all(managers.map((m) => m.close()));
  managers = [];
  await rm(dir, { recursive: true, force: true });
});

function manager(): RuleSetManager {
  const created = new RuleSetManager({ watchDebounceMs: 20 });
  managers.push(created);
  return created;
}

describe('RuleSetManager', () => {
  it('loads files and reports the outcome', async () => {
    const file = join(dir, 'default.yaml');
    await writeFile(file, READ_SEND);
    const rules = manager();
    const outcome = await rules.load([file]);
    expect(outcome).toMatchObject({ ok: true, errors: [], trigger: 'load' });
    expect(outcome.summary).toMatchObject({ rules: 1, byKind: { sequence: 1, match: 0, threshold: 0 } });
    expect(outcome.report).toBe(`rules: loaded version ${outcome.version}: 1 rule (1 sequence), 0 lists, 0 macros from 1 file (0 errors, 0 warnings)`);
    expect(rules.current.version).toBe(outcome.version);
  });

  it('keeps the running set when a reload has errors, and applies a fixed file', async () => {
    const file = join(dir, 'default.yaml');
    await writeFile(file, READ_SEND);
    const rules = manager();
    const first = await rules.load([file]);
    await writeFile(file, BROKEN);
    const failed = await rules.reload();
    expect(failed.ok).toBe(false);
    expect(failed.version).toBe(first.version);
    expect(rules.current.version).toBe(first.version);
    expect(failed.report.split('\n')).toEqual([
      `${file}:5:15: error [bad-value] rule "read-send": severity must be one of info, low, medium, high, critical; got "hgh"; did you mean "high"?`,
      `rules: not loaded; keeping version ${first.version} (1 error, 0 warnings)`,
    ]);
    await writeFile(file, WITH_COUNT);
    const fixed = await rules.reload();
    expect(fixed.ok).toBe(true);
    expect(fixed.version).toBeGreaterThan(first.version);
    expect(fixed.summary.rules).toBe(2);
  });

  it('reads a directory as its yaml files in name order (later files override earlier ones)', async () => {
    await writeFile(join(dir, '10-default.yaml'), READ_SEND);
    await writeFile(
      join(dir, '20-local.yaml'),
      ruleFile('- rule: read-send\n  override: {enabled: replace}\n  enabled: false'),
    );
    await writeFile(join(dir, 'notes.txt'), 'not rules');
    const outcome = await manager().load([dir]);
    expect(outcome.ok).toBe(true);
    expect(outcome.summary).toMatchObject({ rules: 0, disabled: 1 });
  });

  it('reloads when a watched file changes', async () => {
    const file = join(dir, 'default.yaml');
    await writeFile(file, READ_SEND);
    const rules = manager();
    await rules.load([file]);
    const seen: boolean[] = [];
    rules.onReload((outcome) => seen.push(outcome.ok));
    await rules.watch();
    await writeFile(file, WITH_COUNT);
    await waitFor('a reload after the change', () => rules.current.summary.rules === 2);
    expect(rules.lastOutcome?.trigger).toBe('watch');
    await writeFile(file, BROKEN);
    await waitFor('the failed reload', () => seen.includes(false));
    expect(rules.current.summary.rules).toBe(2);
  });

  it('reports a missing file as an error and loads nothing', async () => {
    const outcome = await manager().load([join(dir, 'absent.yaml')]);
    expect(outcome.ok).toBe(false);
    expect(outcome.errors.map((e) => e.code)).toEqual(['unreadable-file']);
  });
});

describe('the rules detector with a manager', () => {
  it('preload fails with every error when the rule files are broken', async () => {
    const file = join(dir, 'default.yaml');
    await writeFile(file, BROKEN);
    const rules = manager();
    await rules.load([file]);
    const detector = createRuleDetector(rules);
    await expect(detector.preload()).rejects.toBeInstanceOf(RuleLoadError);
    await expect(detector.preload()).rejects.toThrow(/severity must be one of/);
  });

  it('uses the current set after a reload and keeps the state of unchanged rules', async () => {
    const file = join(dir, 'default.yaml');
    await writeFile(file, READ_SEND);
    const rules = manager();
    await rules.load([file]);
    const detector = createRuleDetector(rules);
    await detector.preload();
    const session = sessionOf([toolCall({ tool: 'read' }), toolCall({ tool: 'send' })]);
    const state = detector.createState(session);
    const first = { ...session, calls: session.calls.slice(0, 1) };
    expect(detector.observe({ session: first, state, call: session.calls[0]! })).toEqual([]);
    // A reload that adds a rule but leaves read-send as it was: the partial match survives.
    await writeFile(file, WITH_COUNT);
    await rules.reload();
    const found = detector.observe({ session, state, call: session.calls[1]! }) as RuleFinding[];
    expect(found.map((f) => f.id)).toEqual(['read-send']);
  });
});

describe('checkRuleFiles (chainwatch rules check)', () => {
  it('passes the shipped default rules', async () => {
    const result = await checkRuleFiles(['rules/default.yaml']);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.report).toMatch(/^rules: ok: \d+ rules \(\d+ sequence, \d+ threshold, \d+ match\), \d+ lists, \d+ macros from 1 file \(0 errors, 0 warnings\)$/);
  });

  it('fails a broken file with the located errors', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, BROKEN);
    const result = await checkRuleFiles([file]);
    expect(result.ok).toBe(false);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ file, line: 5, column: 15, ruleId: 'read-send', code: 'bad-value' });
    expect(result.report.split('\n').at(-1)).toBe('rules: failed (1 error, 0 warnings)');
  });
});
