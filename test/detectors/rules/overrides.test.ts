import { describe, expect, it } from 'vitest';
import { compileRuleSources } from '../../../src/detectors/rules/index.js';
import { sessionOf, toolCall } from '../../helpers/tool-calls.js';
import { engineOf, ids, ruleFile, run, yaml } from './harness.js';

const base = {
  file: 'rules/base.yaml',
  text: ruleFile(yaml`
    - list: sinks
      items: [send_email]
    - macro: sink_call
      condition: {tool: {in: $sinks}}
    - rule: leak
      description: Data read then sent
      severity: medium
      tags: [exfiltration]
      sequence:
        steps:
          - {name: read, match: {category: pii_access}}
          - {name: send, match: sink_call}
  `),
};

const leak = (sink: string, service = 'support-agent') =>
  sessionOf([
    toolCall({ tool: 'lookup', category: 'pii_access', service }),
    toolCall({ tool: sink, service }),
  ]);

function withLocal(text: string) {
  return engineOf([base, { file: 'rules/local.yaml', text: ruleFile(text) }]);
}

describe('local tuning with a later file', () => {
  it('the base rule fires as shipped', () => {
    const { detector } = engineOf([base]);
    expect(ids(run(detector, leak('send_email')))).toEqual(['leak']);
    expect(run(detector, leak('post_webhook'))).toEqual([]);
  });

  it('appends to a list', () => {
    const { detector } = withLocal('- list: sinks\n  override: {items: append}\n  items: [post_webhook]');
    expect(ids(run(detector, leak('post_webhook')))).toEqual(['leak']);
    expect(ids(run(detector, leak('send_email')))).toEqual(['leak']);
  });

  it('replaces a list', () => {
    const { detector } = withLocal('- list: sinks\n  override: {items: replace}\n  items: [post_webhook]');
    expect(run(detector, leak('send_email'))).toEqual([]);
  });

  it('replaces a macro', () => {
    const { detector } = withLocal('- macro: sink_call\n  override: {condition: replace}\n  condition: {tool: {glob: "post_*"}}');
    expect(ids(run(detector, leak('post_webhook')))).toEqual(['leak']);
    expect(run(detector, leak('send_email'))).toEqual([]);
  });

  it('disables a rule', () => {
    const { detector, outcome } = withLocal('- rule: leak\n  override: {enabled: replace}\n  enabled: false');
    expect(run(detector, leak('send_email'))).toEqual([]);
    expect(outcome.summary.disabled).toBe(1);
  });

  it('appends an exception', () => {
    const { detector } = withLocal(yaml`
      - rule: leak
        override: {exceptions: append}
        exceptions:
          - {name: backup, match: {service: backup-agent}}
    `);
    expect(run(detector, leak('send_email', 'backup-agent'))).toEqual([]);
    expect(ids(run(detector, leak('send_email')))).toEqual(['leak']);
  });

  it('replaces severity and score, appends tags', () => {
    const { detector } = withLocal(yaml`
      - rule: leak
        override: {severity: replace, score: replace, tags: append}
        severity: critical
        score: 0.99
        tags: [local]
    `);
    const [finding] = run(detector, leak('send_email'));
    expect(finding).toMatchObject({ severity: 'critical', score: 0.99, tags: ['exfiltration', 'local'] });
  });

  it('uses the severity score when a rule gives none', () => {
    const { detector } = withLocal('- rule: leak\n  override: {severity: replace}\n  severity: high');
    expect(run(detector, leak('send_email'))[0]).toMatchObject({ severity: 'high', score: 0.6 });
  });

  it('replaces the body', () => {
    const { detector } = withLocal('- rule: leak\n  override: {match: replace}\n  match: {tool: lookup}');
    expect(run(detector, leak('none')).map((f) => f.callIndex)).toEqual([0]);
  });

  it('a broken local file is reported with its own name and loads nothing', () => {
    const result = compileRuleSources([base, { file: 'rules/local.yaml', text: ruleFile('- rule: leak\n  enabled: false') }]);
    expect(result.ruleSet).toBeNull();
    expect(result.errors.map((e) => `${e.file}:${e.line}:${e.code}`)).toEqual([
      'rules/local.yaml:3:missing-field',
      'rules/local.yaml:3:missing-field',
      'rules/local.yaml:3:missing-field',
      'rules/local.yaml:3:duplicate-id',
    ]);
  });
});
