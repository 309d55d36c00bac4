import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRuleSources } from '../../../src/detectors/rules/index.js';
import { toolCall } from '../../helpers/tool-calls.js';
import { ruleFile, yaml } from './harness.js';

describe('rule index: each call visits only the rules that can match it', () => {
  const result = compileRuleSources([
    {
      file: 'rules/test.yaml',
      text: ruleFile(yaml`
        - list: sinks
          items: [send_email, post_webhook]
        - rule: by-tool
          description: d
          severity: low
          match: {tool: {in: $sinks}}
        - rule: by-category
          description: d
          severity: low
          sequence:
            steps: [{match: {category: pii_access}}, {match: {category: external_communication}}]
        - rule: either
          description: d
          severity: low
          match: {any: [{tool: run_sql}, {category: code_execution}]}
        - rule: narrowed
          description: d
          severity: low
          match: {all: [{effect: send}, {tool: fax}]}
        - rule: glob
          description: d
          severity: low
          match: {tool: {glob: "get_*"}}
      `),
    },
  ]);
  const set = result.ruleSet!;
  const visit = (tool: string, category: Parameters<typeof toolCall>[0]['category']) =>
    set.candidates(toolCall({ tool, category })).map((r) => r.id);

  it('indexes by tool name and category, leaving only unroutable rules for every call', () => {
    expect(result.errors).toEqual([]);
    expect(set.summary.unindexed).toBe(1);
    expect(visit('send_email', 'external_communication')).toEqual(['by-tool', 'by-category', 'glob']);
    expect(visit('lookup', 'pii_access')).toEqual(['by-category', 'glob']);
    expect(visit('run_sql', 'data_access')).toEqual(['either', 'glob']);
    expect(visit('python', 'code_execution')).toEqual(['either', 'glob']);
    expect(visit('fax', 'other')).toEqual(['narrowed', 'glob']);
    expect(visit('unrelated', 'other')).toEqual(['glob']);
  });

  it('the default rules route most rules by category or tool', () => {
    const defaults = compileRuleSources([{ file: 'rules/default.yaml', text: readFileSync('rules/default.yaml', 'utf8') }]);
    expect(defaults.ruleSet!.summary.unindexed).toBeLessThan(defaults.ruleSet!.summary.rules);
  });
});

describe('the default rules are generic', () => {
  const catalog = '../shared/datasets/agentdojo-dev/tool-catalog.yaml';
  it.skipIf(!existsSync(catalog))('name none of the AgentDojo tools', () => {
    const names = [...readFileSync(catalog, 'utf8').matchAll(/^ {2}([a-z_]+):/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(40);
    const rules = readFileSync('rules/default.yaml', 'utf8');
    expect(names.filter((name) => new RegExp(`\\b${name}\\b`).test(rules))).toEqual([]);
  });
});
