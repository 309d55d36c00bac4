import { describe, expect, it } from 'vitest';
import { compileRuleSources, formatDiagnostic } from '../../../src/detectors/rules/index.js';
import type { RuleSource } from '../../../src/detectors/rules/index.js';
import { ruleFile, yaml } from './harness.js';

function diagnosticsOf(sources: readonly RuleSource[] | string): string[] {
  const list = typeof sources === 'string' ? [{ file: 'rules/test.yaml', text: sources }] : sources;
  const result = compileRuleSources(list);
  return [...result.errors, ...result.warnings].map(formatDiagnostic);
}

describe('malformed rule files: every error, located, all at once', () => {
  it('reports field, type, enum, regex, duration, flow, list, threshold and id errors together', () => {
    const text = yaml`
      version: 1
      elements:
        - list: sinks
          items: [send_email, post_message]
        - rule: bad-one
          description: typo and bad regex
          sevrity: high
          match:
            tool: {matches: "([a-z"}
            categroy: pii_access
        - rule: bad-two
          description: bad enum and list
          severity: urgent
          sequence:
            maxspan: 5
            steps:
              - match: {category: pii}
              - match: {tool: {in: $sinkz}}
                flow: [{field: args.to, from: nowhere.result}]
        - rule: bad-three
          description: threshold
          severity: low
          threshold:
            window: 1m
            aggregate: distinct
            condition: {lt: 3}
        - rule: bad-one
          description: dup
          severity: low
          match: {tool: x}
        - rule: ghost
          override: {enabled: replace}
          enabled: false
    `;
    const result = compileRuleSources([{ file: 'rules/test.yaml', text }]);
    expect(result.ruleSet).toBeNull();
    expect(result.errors.map(formatDiagnostic)).toEqual([
      'rules/test.yaml:5:5: error [missing-field] rule "bad-one": a rule needs a `severity` (info, low, medium, high, critical)',
      'rules/test.yaml:7:5: error [unknown-field] rule "bad-one": unknown field "sevrity" in a rule; did you mean "severity"?',
      'rules/test.yaml:9:23: error [bad-regex] rule "bad-one": invalid regex "([a-z": Invalid regular expression: /([a-z/: Unterminated character class',
      'rules/test.yaml:10:7: error [unknown-field] rule "bad-one": unknown field "categroy"; did you mean "category"?',
      'rules/test.yaml:13:15: error [bad-value] rule "bad-two": severity must be one of info, low, medium, high, critical; got "urgent"',
      'rules/test.yaml:15:16: error [bad-duration] rule "bad-two": maxspan must be a positive duration with a unit (500ms, 30s, 5m, 1h, 1d); got 5',
      'rules/test.yaml:17:29: error [bad-value] rule "bad-two": category is one of data_access, pii_access, external_communication, code_execution, file_write, financial, identity, other; got "pii"; did you mean "pii_access"?',
      'rules/test.yaml:18:30: error [unknown-list] rule "bad-two": unknown list "sinkz"; did you mean "sinks"?',
      'rules/test.yaml:19:41: error [bad-flow] rule "bad-two": flow refers to step "nowhere", which is not an earlier step',
      'rules/test.yaml:24:7: error [missing-field] rule "bad-three": aggregate distinct needs a `field`',
      'rules/test.yaml:26:19: error [bad-condition] rule "bad-three": a condition compares with gt or gte, not "lt" (thresholds fire as values grow)',
      'rules/test.yaml:27:5: error [duplicate-id] rule "bad-one": rule "bad-one" is already defined at rules/test.yaml:5; tune it with override: {<field>: replace|append}',
      'rules/test.yaml:31:5: error [unknown-override] rule "ghost": override of rule "ghost", which no earlier file defines',
    ]);
    const first = result.errors[0]!;
    expect(first).toMatchObject({ file: 'rules/test.yaml', line: 5, column: 5, ruleId: 'bad-one', elementKind: 'rule' });
  });

  it('warns about a regex that nests a quantifier inside a quantified group, and still loads it', () => {
    const text = `version: 1
elements:
  - rule: odd-query
    description: a query of words
    severity: low
    match: {tool: search_docs, args.q: {matches: '^(\\w+\\s?)+$'}}
`;
    const result = compileRuleSources([{ file: 'rules/local.yaml', text }]);
    expect(result.errors).toEqual([]);
    expect(result.ruleSet).not.toBeNull();
    expect(result.warnings.map(formatDiagnostic)).toEqual([
      expect.stringMatching(/^rules\/local\.yaml:6:50: warning \[unsafe-regex\] rule "odd-query": regex ".+" nests a quantifier inside a quantified group/),
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const lines = diagnosticsOf('version: 1\nelements:\n  - rule: x\n    description: "unterminated\n');
    // The YAML parser reports an unterminated quote where the input ends.
    expect(lines).toEqual(['rules/test.yaml:5:1: error [yaml-syntax] Missing closing "quote']);
    const indent = diagnosticsOf('version: 1\nelements:\n  - rule: x\n    severity: low\n   description: d\n');
    expect(indent).toEqual(['rules/test.yaml:5:1: error [yaml-syntax] Sequence item without - indicator']);
  });

  it('reports duplicate keys as YAML errors', () => {
    const lines = diagnosticsOf('version: 1\nversion: 1\nelements: []\n');
    expect(lines).toEqual(['rules/test.yaml:2:1: error [yaml-syntax] Map keys must be unique']);
  });

  it('requires a supported schema version', () => {
    expect(diagnosticsOf('elements: []\n')).toEqual([
      'rules/test.yaml:1:1: error [missing-version] missing `version` (this engine reads version 1)',
    ]);
    expect(diagnosticsOf('version: 2\nelements: []\n')).toEqual([
      'rules/test.yaml:1:10: error [unsupported-version] unsupported version 2; this engine reads version 1',
    ]);
  });

  it('rejects unknown elements, matcher shapes and operators', () => {
    const lines = diagnosticsOf(
      ruleFile(yaml`
        - rul: r
        - rule: shapes
          description: d
          severity: low
          match: [tool: x]
        - rule: ops
          description: d
          severity: low
          match:
            args.to: {containz: "@"}
            category: {glob: "pii*"}
            sensitive: "yes"
            cost: {gt: cheap}
      `),
    );
    expect(lines).toEqual([
      'rules/test.yaml:3:5: error [bad-element] an element needs one of `rule:`, `list:` or `macro:`; did you mean "rule"?',
      'rules/test.yaml:7:12: error [bad-matcher] rule "shapes": a matcher is a mapping, not a list (use `any: [...]` for alternatives)',
      'rules/test.yaml:12:17: error [unknown-operator] rule "ops": unknown condition "containz" on args.to; did you mean "contains"?',
      'rules/test.yaml:13:18: error [bad-operator] rule "ops": "glob" does not apply to category (a enum field; use equals, in)',
      'rules/test.yaml:14:18: error [bad-value] rule "ops": sensitive is true or false; got "yes"',
      'rules/test.yaml:15:18: error [bad-type] rule "ops": gt must be a number',
    ]);
  });

  it('reports macro cycles and unknown macros at the reference', () => {
    const lines = diagnosticsOf(
      ruleFile(yaml`
        - macro: a
          condition: {any: [{macro: b}, {tool: x}]}
        - macro: b
          condition: a
        - rule: r
          description: d
          severity: low
          match: {all: [a, nope]}
      `),
    );
    expect(lines).toEqual([
      'rules/test.yaml:6:16: error [macro-cycle] macro "b": macro cycle: a -> b -> a',
      'rules/test.yaml:10:22: error [unknown-macro] rule "r": unknown macro "nope"',
    ]);
  });

  it('checks overrides: known fields, append only where it makes sense, listed fields only', () => {
    const base = { file: 'rules/base.yaml', text: ruleFile('- rule: r\n  description: d\n  severity: low\n  match: {tool: x}') };
    const local = {
      file: 'rules/local.yaml',
      text: ruleFile(yaml`
        - rule: r
          override: {severity: append, tags: append}
          severity: high
          tags: [x]
          enabled: false
      `),
    };
    expect(diagnosticsOf([base, local])).toEqual([
      'rules/local.yaml:4:26: error [bad-override] rule "r": "severity" can only be replaced, not appended to',
      'rules/local.yaml:7:5: error [bad-override] rule "r": "enabled" is set in an override but not listed in `override:`',
    ]);
  });

  it('keys provenance rules by session and names exception steps that exist', () => {
    const lines = diagnosticsOf(
      ruleFile(yaml`
        - rule: p
          description: d
          severity: low
          sequence:
            by: user
            maxspan: 1m
            steps:
              - match: {category: data_access}
              - match: {args.to: {from_tool_output: true}}
          exceptions:
            - {name: e, step: third, match: {tool: x}}
        - rule: q
          description: d
          severity: low
          match: {tool: x}
          exceptions:
            - {name: e, step: first, match: {tool: y}}
      `),
    );
    expect(lines).toEqual([
      'rules/test.yaml:11:29: error [provenance-needs-session] rule "p": from_tool_output compares with the session prompt, so the rule must be keyed by session (add session to `by`)',
      'rules/test.yaml:13:9: error [bad-exception] rule "p": exception "e" names step "third", which this sequence does not have (steps: step1, step2)',
      'rules/test.yaml:19:9: error [bad-exception] rule "q": exception "e" names step "first", but only sequence rules have steps',
    ]);
  });

  it('warns about unused lists and macros, trivial and unbounded sequences, and still loads', () => {
    const result = compileRuleSources([
      {
        file: 'rules/test.yaml',
        text: ruleFile(yaml`
          - list: spare
            items: [a]
          - macro: spare_macro
            condition: {tool: a}
          - rule: one-step
            description: d
            severity: low
            sequence:
              steps: [{match: {tool: a}}]
          - rule: by-user
            description: d
            severity: low
            sequence:
              by: user
              steps: [{match: {tool: a}}, {match: {tool: b}}]
        `),
      },
    ]);
    expect(result.ruleSet).not.toBeNull();
    expect(result.warnings.map(formatDiagnostic)).toEqual([
      'rules/test.yaml:3:5: warning [unused-list] list "spare": list "spare" is not used by any rule',
      'rules/test.yaml:5:5: warning [unused-macro] macro "spare_macro": macro "spare_macro" is not used by any rule',
      'rules/test.yaml:10:5: warning [trivial-sequence] rule "one-step": a sequence of one step matches like `match:`; use `match:` for single-call rules',
      'rules/test.yaml:15:5: warning [unbounded-sequence] rule "by-user": no `maxspan` on a sequence not keyed by session: partial matches expire only through the max_pending cap',
    ]);
  });

  it('rejects a threshold whose event cap could never reach its count, and trailing missing steps with no end', () => {
    const lines = diagnosticsOf(
      ruleFile(yaml`
        - rule: capped
          description: d
          severity: low
          threshold: {window: 1m, condition: {gte: 50}, max_events: 10}
        - rule: trailing
          description: d
          severity: low
          sequence:
            by: trace
            steps: [{match: {tool: a}}, {missing: {tool: b}}]
      `),
    );
    expect(lines).toEqual([
      'rules/test.yaml:6:41: error [bad-threshold] rule "capped": max_events (10) is below the count this condition needs (50); the rule could never fire',
      'rules/test.yaml:10:5: error [bad-sequence] rule "trailing": a trailing missing step needs `maxspan` when the rule is not keyed by session (there is no session end to wait for)',
    ]);
  });
});
