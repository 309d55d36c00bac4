import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRuleSources } from '../../../src/detectors/rules/index.js';
import type { ToolCategory, ToolEffect } from '../../../src/normalize/events.js';
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
        - rule: deletes-or-sensitive
          description: d
          severity: low
          match: {any: [{effect: delete}, {sensitive: true}]}
        - rule: by-server
          description: d
          severity: low
          match: {server: vault}
      `),
    },
  ]);
  const set = result.ruleSet!;
  const visit = (tool: string, category: ToolCategory, effect: ToolEffect = 'read', sensitive = false) =>
    set.candidates(toolCall({ tool, category, effect, sensitive })).map((r) => r.id);

  it('indexes by tool name, glob, category, effect and sensitivity; unroutable rules see every call', () => {
    expect(result.errors).toEqual([]);
    expect(set.summary.unindexed).toBe(1);
    expect(visit('send_email', 'external_communication')).toEqual(['by-tool', 'by-category', 'by-server']);
    expect(visit('lookup', 'pii_access')).toEqual(['by-category', 'by-server']);
    expect(visit('run_sql', 'data_access')).toEqual(['either', 'by-server']);
    expect(visit('python', 'code_execution')).toEqual(['either', 'by-server']);
    expect(visit('fax', 'other')).toEqual(['narrowed', 'by-server']);
    expect(visit('get_user', 'other')).toEqual(['glob', 'by-server']);
    expect(visit('drop_table', 'other', 'delete')).toEqual(['deletes-or-sensitive', 'by-server']);
    expect(visit('salary', 'other', 'read', true)).toEqual(['deletes-or-sensitive', 'by-server']);
    expect(visit('unrelated', 'other')).toEqual(['by-server']);
  });

  it('the default rules route most rules by category or tool', () => {
    const defaults = compileRuleSources([{ file: 'rules/default.yaml', text: readFileSync('rules/default.yaml', 'utf8') }]);
    // Only the thresholds over every call (identical calls, bursts) see every call.
    expect(defaults.ruleSet!.summary.unindexed).toBe(2);
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
