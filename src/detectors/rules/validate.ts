import { SEVERITIES } from '../finding.js';
import type { Severity } from '../finding.js';
import { PII_KINDS, SECRET_KINDS } from './content-checks.js';
import type { PiiKind, SecretKind } from './content-checks.js';
import { NO_ELEMENT, didYouMean } from './diagnostics.js';
import type { DiagnosticBag, ElementRef, SourceLoc } from './diagnostics.js';
import { FIELD_NAMES, enumValues, fieldType, parseFieldRef } from './fields.js';
import type { FieldRef } from './fields.js';
import { RULE_APPENDABLE, RULE_OVERRIDABLE } from './ast.js';
import type {
  Aggregate,
  ElementAst,
  EventAst,
  ExceptionAst,
  FlowAst,
  FlowOp,
  ListAst,
  ListRef,
  MacroAst,
  MatcherAst,
  OverrideMode,
  PredicateAst,
  RuleAst,
  RuleBody,
  RuleFileAst,
  RuleOverridable,
  Scalar,
  SequenceAst,
  StepAst,
  ThresholdAst,
  ValueSet,
} from './ast.js';
import { entryOf } from './source-tree.js';
import type { SourceEntry, SourceMap, SourceNode } from './source-tree.js';

/** The rule file schema version this engine reads. */
export const SCHEMA_VERSION = 1;

export const MESSAGE_PLACEHOLDERS = [
  'rule',
  'description',
  'key',
  'count',
  'value',
  'values',
  'window',
  'calls',
  'tools',
  'session',
  'user',
] as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const COMBINATORS = ['all', 'any', 'not', 'macro'] as const;
const PREDICATE_OPS = [
  'equals',
  'in',
  'glob',
  'matches',
  'contains',
  'starts_with',
  'ends_with',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'contains_pii',
  'contains_secret',
  'url_outside',
  'email_domain_outside',
  'from_tool_output',
  'ignore_case',
] as const;

const OPS_BY_TYPE: Record<string, readonly string[]> = {
  enum: ['equals', 'in'],
  boolean: ['equals'],
  number: ['equals', 'in', 'gt', 'gte', 'lt', 'lte', 'exists'],
  string: [
    'equals',
    'in',
    'glob',
    'matches',
    'contains',
    'starts_with',
    'ends_with',
    'exists',
    'contains_pii',
    'contains_secret',
    'url_outside',
    'email_domain_outside',
    'ignore_case',
  ],
  structured: PREDICATE_OPS.filter((op) => op !== 'from_tool_output'),
};

const FILE_KEYS = ['version', 'elements'];
const LIST_KEYS = ['list', 'items', 'override'];
const MACRO_KEYS = ['macro', 'condition', 'override'];
const RULE_KEYS = ['rule', 'override', ...RULE_OVERRIDABLE];
const SEQUENCE_KEYS = ['by', 'maxspan', 'steps', 'until', 'max_pending'];
const STEP_KEYS = ['name', 'match', 'runs', 'next', 'flow'];
const FLOW_KEYS = ['field', 'op', 'from', 'min_length'];
const THRESHOLD_KEYS = ['match', 'by', 'window', 'aggregate', 'field', 'condition', 'baseline', 'max_events'];
const EXCEPTION_KEYS = ['name', 'match', 'step'];

/** Stage 2 (validate): one file's YAML tree to typed elements; every problem goes to the bag. */
export function validateRuleFile(file: string, root: SourceNode, diagnostics: DiagnosticBag): RuleFileAst {
  const reader = new Reader(diagnostics);
  const elements: ElementAst[] = [];
  if (root.kind !== 'map') {
    reader.error('bad-file', root.loc, 'a rule file is a mapping with `version` and `elements`');
    return { file, version: SCHEMA_VERSION, elements };
  }
  reader.checkKeys(root, FILE_KEYS, 'rule file');
  const versionEntry = entryOf(root, 'version');
  let version = SCHEMA_VERSION;
  if (versionEntry === undefined) {
    reader.error('missing-version', root.loc, `missing \`version\` (this engine reads version ${SCHEMA_VERSION})`);
  } else {
    const value = versionEntry.value;
    if (value.kind !== 'scalar' || value.value !== SCHEMA_VERSION) {
      reader.error(
        'unsupported-version',
        value.loc,
        `unsupported version ${JSON.stringify(value.kind === 'scalar' ? value.value : value.kind)}; this engine reads version ${SCHEMA_VERSION}`,
      );
    } else {
      version = value.value;
    }
  }
  const elementsEntry = entryOf(root, 'elements');
  if (elementsEntry === undefined) {
    reader.error('missing-field', root.loc, 'missing `elements` (a list of rule, list and macro elements)');
    return { file, version, elements };
  }
  if (elementsEntry.value.kind === 'scalar' && elementsEntry.value.value === null) return { file, version, elements };
  if (elementsEntry.value.kind !== 'seq') {
    reader.error('bad-type', elementsEntry.value.loc, '`elements` must be a list');
    return { file, version, elements };
  }
  for (const node of elementsEntry.value.items) {
    const element = reader.element(node);
    if (element !== undefined) elements.push(element);
  }
  return { file, version, elements };
}

/** Parses `90s`, `5m`, `250ms`; undefined when invalid. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
}

class Reader {
  private element_: ElementRef = NO_ELEMENT;

  constructor(private readonly diagnostics: DiagnosticBag) {}

  error(code: string, loc: SourceLoc, message: string): void {
    this.diagnostics.error(code, loc, this.element_, message);
  }

  warning(code: string, loc: SourceLoc, message: string): void {
    this.diagnostics.warning(code, loc, this.element_, message);
  }

  checkKeys(map: SourceMap, allowed: readonly string[], what: string): void {
    for (const entry of map.entries) {
      if (!allowed.includes(entry.key)) {
        this.error('unknown-field', entry.keyLoc, `unknown field "${entry.key}" in ${what}${didYouMean(entry.key, allowed)}`);
      }
    }
  }

  element(node: SourceNode): ElementAst | undefined {
    this.element_ = NO_ELEMENT;
    if (node.kind !== 'map') {
      this.error('bad-element', node.loc, 'an element is a mapping starting with `rule:`, `list:` or `macro:`');
      return undefined;
    }
    const kinds = (['rule', 'list', 'macro'] as const).filter((k) => entryOf(node, k) !== undefined);
    if (kinds.length !== 1) {
      this.error(
        'bad-element',
        node.loc,
        kinds.length === 0
          ? `an element needs one of \`rule:\`, \`list:\` or \`macro:\`${didYouMean(node.entries[0]?.key ?? '', ['rule', 'list', 'macro'])}`
          : `an element has exactly one of \`rule:\`, \`list:\` or \`macro:\` (found ${kinds.join(', ')})`,
      );
      return undefined;
    }
    const kind = kinds[0]!;
    const idEntry = entryOf(node, kind)!;
    const id = this.id(idEntry, kind);
    this.element_ = { kind, id };
    if (kind === 'list') return this.list(node, id);
    if (kind === 'macro') return this.macro(node, id);
    return this.rule(node, id);
  }

  private id(entry: SourceEntry, kind: string): string {
    const value = entry.value;
    if (value.kind !== 'scalar' || typeof value.value !== 'string' || !ID_PATTERN.test(value.value)) {
      const shown = value.kind === 'scalar' ? String(value.value) : value.kind;
      this.diagnostics.error(
        'bad-id',
        value.loc,
        NO_ELEMENT,
        `${kind} id ${JSON.stringify(shown)} must be a name of letters, digits and _ . : - (starting with a letter or digit)`,
      );
      return value.kind === 'scalar' ? String(value.value) : '';
    }
    return value.value;
  }

  private overrideModes(
    map: SourceMap,
    allowed: readonly string[],
    appendable: readonly string[],
  ): Map<string, OverrideMode> | undefined {
    const entry = entryOf(map, 'override');
    if (entry === undefined) return undefined;
    const modes = new Map<string, OverrideMode>();
    if (entry.value.kind !== 'map') {
      this.error('bad-override', entry.value.loc, `\`override\` maps fields to append or replace, e.g. {${allowed[0]}: replace}`);
      return modes;
    }
    for (const item of entry.value.entries) {
      if (!allowed.includes(item.key)) {
        this.error('bad-override', item.keyLoc, `"${item.key}" cannot be overridden${didYouMean(item.key, allowed)}`);
        continue;
      }
      const mode = item.value.kind === 'scalar' ? item.value.value : undefined;
      if (mode !== 'append' && mode !== 'replace') {
        this.error('bad-override', item.value.loc, `override mode for "${item.key}" must be append or replace`);
        continue;
      }
      if (mode === 'append' && !appendable.includes(item.key)) {
        this.error('bad-override', item.value.loc, `"${item.key}" can only be replaced, not appended to`);
        continue;
      }
      modes.set(item.key, mode);
    }
    for (const field of map.entries) {
      if (field.key === 'override' || field.key === this.element_.kind) continue;
      if (allowed.includes(field.key) && !modes.has(field.key) && entry.value.entries.every((e) => e.key !== field.key)) {
        this.error('bad-override', field.keyLoc, `"${field.key}" is set in an override but not listed in \`override:\``);
      }
    }
    for (const [field] of modes) {
      if (entryOf(map, field) === undefined) {
        this.error('bad-override', entry.value.loc, `override lists "${field}" but the element does not set it`);
      }
    }
    return modes;
  }

  private list(map: SourceMap, id: string): ElementAst {
    this.checkKeys(map, LIST_KEYS, 'a list');
    const modes = this.overrideModes(map, ['items'], ['items']);
    const items: Scalar[] = [];
    const entry = entryOf(map, 'items');
    if (entry === undefined) {
      this.error('missing-field', map.loc, 'a list needs `items`');
    } else if (entry.value.kind !== 'seq') {
      this.error('bad-type', entry.value.loc, '`items` must be a list of values');
    } else {
      for (const item of entry.value.items) {
        if (item.kind !== 'scalar' || item.value === null) {
          this.error('bad-type', item.loc, 'list items must be strings, numbers or booleans');
        } else {
          items.push(item.value);
        }
      }
    }
    const list: ListAst = { id, loc: map.loc, items, ...(modes ? { override: modes.get('items') ?? 'replace' } : {}) };
    return { kind: 'list', list };
  }

  private macro(map: SourceMap, id: string): ElementAst | undefined {
    this.checkKeys(map, MACRO_KEYS, 'a macro');
    const modes = this.overrideModes(map, ['condition'], []);
    const entry = entryOf(map, 'condition');
    if (entry === undefined) {
      this.error('missing-field', map.loc, 'a macro needs a `condition` (a matcher)');
      return undefined;
    }
    const condition = this.matcher(entry.value);
    if (condition === undefined) return undefined;
    const macro: MacroAst = { id, loc: map.loc, condition, ...(modes ? { override: 'replace' as const } : {}) };
    return { kind: 'macro', macro };
  }

  private rule(map: SourceMap, id: string): ElementAst {
    this.checkKeys(map, RULE_KEYS, 'a rule');
    const modes = this.overrideModes(map, RULE_OVERRIDABLE, RULE_APPENDABLE) as
      | Map<RuleOverridable, OverrideMode>
      | undefined;
    const rule: {
      -readonly [K in keyof RuleAst]: RuleAst[K];
    } = { id, loc: map.loc };
    if (modes !== undefined) rule.override = modes;
    const description = entryOf(map, 'description');
    if (description !== undefined) rule.description = this.string(description.value, 'description');
    const severity = entryOf(map, 'severity');
    if (severity !== undefined) rule.severity = this.severity(severity.value);
    const score = entryOf(map, 'score');
    if (score !== undefined) {
      const value = this.number(score.value, 'score');
      if (value !== undefined && (value < 0 || value > 1)) {
        this.error('bad-value', score.value.loc, `score must be between 0 and 1, got ${value}`);
      } else if (value !== undefined) {
        rule.score = value;
      }
    }
    const tags = entryOf(map, 'tags');
    if (tags !== undefined) rule.tags = this.strings(tags.value, 'tags');
    const enabled = entryOf(map, 'enabled');
    if (enabled !== undefined) rule.enabled = this.boolean(enabled.value, 'enabled');
    const message = entryOf(map, 'message');
    if (message !== undefined) rule.message = this.messageTemplate(message.value);
    const exceptions = entryOf(map, 'exceptions');
    if (exceptions !== undefined) rule.exceptions = this.exceptions(exceptions.value);

    const bodies = (['match', 'sequence', 'threshold'] as const).map((k) => entryOf(map, k)).filter((e) => e !== undefined);
    if (bodies.length > 1) {
      this.error(
        'bad-rule',
        bodies[1]!.keyLoc,
        `a rule has exactly one of match, sequence or threshold (found ${bodies.map((b) => b.key).join(' and ')})`,
      );
    } else if (bodies.length === 1) {
      const body = this.body(bodies[0]!);
      if (body !== undefined) rule.body = body;
    }
    if (modes === undefined) {
      if (description === undefined) this.error('missing-field', map.loc, 'a rule needs a `description`');
      if (severity === undefined) this.error('missing-field', map.loc, `a rule needs a \`severity\` (${SEVERITIES.join(', ')})`);
      if (bodies.length === 0) this.error('missing-field', map.loc, 'a rule needs one of `match`, `sequence` or `threshold`');
    }
    return { kind: 'rule', rule };
  }

  private body(entry: SourceEntry): RuleBody | undefined {
    if (entry.key === 'match') {
      const match = this.matcher(entry.value);
      if (match === undefined) return undefined;
      const body: EventAst = { kind: 'match', match, loc: entry.keyLoc };
      return body;
    }
    if (entry.key === 'sequence') return this.sequence(entry);
    return this.threshold(entry);
  }

  private exceptions(node: SourceNode): ExceptionAst[] {
    const out: ExceptionAst[] = [];
    if (node.kind !== 'seq') {
      this.error('bad-type', node.loc, '`exceptions` must be a list of {name, match}');
      return out;
    }
    const names = new Set<string>();
    for (const item of node.items) {
      if (item.kind !== 'map') {
        this.error('bad-type', item.loc, 'an exception is a mapping {name, match, step?}');
        continue;
      }
      this.checkKeys(item, EXCEPTION_KEYS, 'an exception');
      const nameEntry = entryOf(item, 'name');
      const name = nameEntry === undefined ? undefined : this.string(nameEntry.value, 'exception name');
      if (nameEntry === undefined) this.error('missing-field', item.loc, 'an exception needs a `name`');
      if (name !== undefined) {
        if (names.has(name)) this.error('duplicate-exception', nameEntry!.value.loc, `exception "${name}" is defined twice`);
        names.add(name);
      }
      const matchEntry = entryOf(item, 'match');
      if (matchEntry === undefined) {
        this.error('missing-field', item.loc, 'an exception needs a `match`');
        continue;
      }
      const match = this.matcher(matchEntry.value);
      const stepEntry = entryOf(item, 'step');
      const step = stepEntry === undefined ? '' : (this.string(stepEntry.value, 'step') ?? '');
      if (match !== undefined && name !== undefined) out.push({ name, match, step, loc: item.loc });
    }
    return out;
  }

  private sequence(entry: SourceEntry): SequenceAst | undefined {
    const map = entry.value;
    if (map.kind !== 'map') {
      this.error('bad-type', map.loc, '`sequence` is a mapping with `steps` (and by, maxspan, until)');
      return undefined;
    }
    this.checkKeys(map, SEQUENCE_KEYS, 'a sequence');
    const by = this.keyFields(entryOf(map, 'by'));
    const maxspan = entryOf(map, 'maxspan');
    const maxspanMs = maxspan === undefined ? null : (this.duration(maxspan.value, 'maxspan') ?? null);
    const untilEntry = entryOf(map, 'until');
    const until = untilEntry === undefined ? null : (this.matcher(untilEntry.value) ?? null);
    const maxPendingEntry = entryOf(map, 'max_pending');
    const maxPending = maxPendingEntry === undefined ? null : (this.integer(maxPendingEntry.value, 'max_pending', 1, 100_000) ?? null);
    const stepsEntry = entryOf(map, 'steps');
    if (stepsEntry === undefined || stepsEntry.value.kind !== 'seq' || stepsEntry.value.items.length === 0) {
      this.error('missing-field', stepsEntry?.value.loc ?? map.loc, 'a sequence needs `steps`: a non-empty list');
      return undefined;
    }
    const steps: StepAst[] = [];
    const names = new Set<string>();
    let positive = 0;
    for (const node of stepsEntry.value.items) {
      const step = this.step(node, positive + 1, names);
      if (step === undefined) continue;
      if (step.kind === 'step') {
        positive++;
        names.add(step.name);
      }
      steps.push(step);
    }
    if (positive === 0 && steps.length > 0) {
      this.error('bad-sequence', stepsEntry.value.loc, 'a sequence needs at least one step that is not `missing`');
    }
    return { kind: 'sequence', by, maxspanMs, steps, until, maxPending, loc: entry.keyLoc };
  }

  private step(node: SourceNode, ordinal: number, earlier: ReadonlySet<string>): StepAst | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'string') {
      const match = this.matcher(node);
      return match === undefined
        ? undefined
        : { kind: 'step', name: `step${ordinal}`, match, runs: 1, immediate: false, flow: [], loc: node.loc };
    }
    if (node.kind !== 'map') {
      this.error('bad-type', node.loc, 'a step is a mapping {match, name?, runs?, next?, flow?} or {missing}');
      return undefined;
    }
    const missing = entryOf(node, 'missing');
    if (missing !== undefined) {
      this.checkKeys(node, ['missing'], 'a missing step');
      const match = this.matcher(missing.value);
      return match === undefined ? undefined : { kind: 'missing', match, loc: node.loc };
    }
    this.checkKeys(node, STEP_KEYS, 'a step');
    const nameEntry = entryOf(node, 'name');
    let name = `step${ordinal}`;
    if (nameEntry !== undefined) {
      const given = this.string(nameEntry.value, 'step name');
      if (given !== undefined && !ID_PATTERN.test(given)) {
        this.error('bad-id', nameEntry.value.loc, `step name "${given}" must be letters, digits and _ . : -`);
      } else if (given !== undefined && earlier.has(given)) {
        this.error('duplicate-step', nameEntry.value.loc, `step name "${given}" is used twice`);
      } else if (given !== undefined) {
        name = given;
      }
    }
    const matchEntry = entryOf(node, 'match');
    if (matchEntry === undefined) {
      this.error('missing-field', node.loc, 'a step needs `match` (or is `missing: ...`)');
      return undefined;
    }
    const match = this.matcher(matchEntry.value);
    const runsEntry = entryOf(node, 'runs');
    const runs = runsEntry === undefined ? 1 : (this.integer(runsEntry.value, 'runs', 1, 1000) ?? 1);
    const nextEntry = entryOf(node, 'next');
    let immediate = false;
    if (nextEntry !== undefined) {
      const next = nextEntry.value.kind === 'scalar' ? nextEntry.value.value : undefined;
      if (next === 'immediately') immediate = true;
      else if (next !== 'eventually') {
        this.error('bad-value', nextEntry.value.loc, '`next` must be eventually (default) or immediately');
      }
    }
    const flow = this.flows(entryOf(node, 'flow'), earlier);
    if (match === undefined) return undefined;
    return { kind: 'step', name, match, runs, immediate, flow, loc: node.loc };
  }

  private flows(entry: SourceEntry | undefined, earlier: ReadonlySet<string>): FlowAst[] {
    const out: FlowAst[] = [];
    if (entry === undefined) return out;
    const items = entry.value.kind === 'seq' ? entry.value.items : [entry.value];
    for (const item of items) {
      if (item.kind !== 'map') {
        this.error('bad-type', item.loc, 'a flow constraint is a mapping {field, op, from}');
        continue;
      }
      this.checkKeys(item, FLOW_KEYS, 'a flow constraint');
      const fieldEntry = entryOf(item, 'field');
      const fromEntry = entryOf(item, 'from');
      if (fieldEntry === undefined || fromEntry === undefined) {
        this.error('missing-field', item.loc, 'a flow constraint needs `field` and `from` (step.field)');
        continue;
      }
      const field = this.fieldRef(fieldEntry.value);
      const opEntry = entryOf(item, 'op');
      let op: FlowOp = 'equals';
      if (opEntry !== undefined) {
        const value = opEntry.value.kind === 'scalar' ? opEntry.value.value : undefined;
        if (value === 'equals' || value === 'contains' || value === 'in') op = value;
        else this.error('bad-value', opEntry.value.loc, '`op` must be equals, contains or in');
      }
      const minEntry = entryOf(item, 'min_length');
      const minLength = minEntry === undefined ? 4 : (this.integer(minEntry.value, 'min_length', 1, 10_000) ?? 4);
      const fromText = this.string(fromEntry.value, 'from');
      if (fromText === undefined || field === undefined) continue;
      const dot = fromText.indexOf('.');
      const fromStep = dot < 0 ? fromText : fromText.slice(0, dot);
      if (dot < 0) {
        this.error('bad-flow', fromEntry.value.loc, `\`from\` is step.field (e.g. ${fromText}.result), got "${fromText}"`);
        continue;
      }
      if (!earlier.has(fromStep)) {
        this.error(
          'bad-flow',
          fromEntry.value.loc,
          `flow refers to step "${fromStep}", which is not an earlier step${didYouMean(fromStep, earlier)}`,
        );
        continue;
      }
      const fromField = parseFieldRef(fromText.slice(dot + 1));
      if (typeof fromField === 'string') {
        this.error('unknown-field', fromEntry.value.loc, `${fromField}${didYouMean(fromText.slice(dot + 1), FIELD_NAMES)}`);
        continue;
      }
      out.push({ field, op, fromStep, fromField, minLength, loc: item.loc });
    }
    return out;
  }

  private threshold(entry: SourceEntry): ThresholdAst | undefined {
    const map = entry.value;
    if (map.kind !== 'map') {
      this.error('bad-type', map.loc, '`threshold` is a mapping with window, condition (and match, by, aggregate)');
      return undefined;
    }
    this.checkKeys(map, THRESHOLD_KEYS, 'a threshold');
    const matchEntry = entryOf(map, 'match');
    const match = matchEntry === undefined ? null : (this.matcher(matchEntry.value) ?? null);
    const by = this.keyFields(entryOf(map, 'by'));
    const windowEntry = entryOf(map, 'window');
    const windowMs = windowEntry === undefined ? undefined : this.duration(windowEntry.value, 'window');
    if (windowEntry === undefined) this.error('missing-field', map.loc, 'a threshold needs a `window` (e.g. 60s)');
    const aggregateEntry = entryOf(map, 'aggregate');
    let aggregate: Aggregate = 'count';
    if (aggregateEntry !== undefined) {
      const value = aggregateEntry.value.kind === 'scalar' ? aggregateEntry.value.value : undefined;
      const allowed = ['count', 'distinct', 'sum', 'rate'];
      if (typeof value === 'string' && allowed.includes(value)) aggregate = value as Aggregate;
      else {
        this.error(
          'bad-value',
          aggregateEntry.value.loc,
          `\`aggregate\` must be one of ${allowed.join(', ')}${didYouMean(String(value), allowed)}`,
        );
      }
    }
    const fieldEntry = entryOf(map, 'field');
    const field = fieldEntry === undefined ? null : (this.fieldRef(fieldEntry.value) ?? null);
    if ((aggregate === 'distinct' || aggregate === 'sum') && fieldEntry === undefined) {
      this.error('missing-field', map.loc, `aggregate ${aggregate} needs a \`field\``);
    }
    if ((aggregate === 'count' || aggregate === 'rate') && fieldEntry !== undefined) {
      this.error('bad-field', fieldEntry.keyLoc, `aggregate ${aggregate} takes no \`field\``);
    }
    if (aggregate === 'sum' && field !== null && fieldType(field) !== 'number' && fieldType(field) !== 'structured') {
      this.error('bad-field', fieldEntry!.value.loc, `sum needs a numeric field, "${field.text}" is not`);
    }
    const condition = this.condition(entryOf(map, 'condition'), map);
    const baselineEntry = entryOf(map, 'baseline');
    let baseline: ThresholdAst['baseline'] = null;
    if (baselineEntry !== undefined) {
      if (aggregate !== 'rate') this.error('bad-field', baselineEntry.keyLoc, '`baseline` applies to aggregate rate only');
      baseline = this.baseline(baselineEntry.value, windowMs ?? 0);
    }
    const maxEventsEntry = entryOf(map, 'max_events');
    const maxEvents =
      maxEventsEntry === undefined ? null : (this.integer(maxEventsEntry.value, 'max_events', 1, 1_000_000) ?? null);
    if (windowMs === undefined || condition === undefined) return undefined;
    return { kind: 'threshold', match, by, windowMs, aggregate, field, condition, baseline, maxEvents, loc: entry.keyLoc };
  }

  private condition(entry: SourceEntry | undefined, parent: SourceMap): ThresholdAst['condition'] | undefined {
    if (entry === undefined) {
      this.error('missing-field', parent.loc, 'a threshold needs a `condition`, e.g. {gte: 10}');
      return undefined;
    }
    const map = entry.value;
    if (map.kind !== 'map' || map.entries.length !== 1) {
      this.error('bad-condition', map.loc, 'a condition is one comparison: {gt: N} or {gte: N}');
      return undefined;
    }
    const only = map.entries[0]!;
    if (only.key !== 'gt' && only.key !== 'gte') {
      const hint = only.key === 'lt' || only.key === 'lte' || only.key === 'eq' ? ' (thresholds fire as values grow)' : '';
      this.error('bad-condition', only.keyLoc, `a condition compares with gt or gte, not "${only.key}"${hint}`);
      return undefined;
    }
    const value = this.number(only.value, only.key);
    if (value === undefined) return undefined;
    if (value < 0) {
      this.error('bad-condition', only.value.loc, 'a threshold is not negative');
      return undefined;
    }
    return { op: only.key, value, loc: only.keyLoc };
  }

  private baseline(node: SourceNode, windowMs: number): ThresholdAst['baseline'] {
    if (node.kind !== 'map') {
      this.error('bad-type', node.loc, '`baseline` is a mapping {factor, min_history}');
      return null;
    }
    this.checkKeys(node, ['factor', 'min_history'], 'a baseline');
    const factorEntry = entryOf(node, 'factor');
    const factor = factorEntry === undefined ? undefined : this.number(factorEntry.value, 'factor');
    if (factorEntry === undefined) this.error('missing-field', node.loc, 'a baseline needs a `factor` (e.g. 5)');
    else if (factor !== undefined && factor <= 1) this.error('bad-value', factorEntry.value.loc, '`factor` must be above 1');
    const historyEntry = entryOf(node, 'min_history');
    const minHistoryMs = historyEntry === undefined ? windowMs : this.duration(historyEntry.value, 'min_history');
    if (factor === undefined || factor <= 1 || minHistoryMs === undefined) return null;
    return { factor, minHistoryMs };
  }

  private keyFields(entry: SourceEntry | undefined): FieldRef[] {
    const session = parseFieldRef('session') as FieldRef;
    if (entry === undefined) return [session];
    const items = entry.value.kind === 'seq' ? entry.value.items : [entry.value];
    const out: FieldRef[] = [];
    for (const item of items) {
      const ref = this.fieldRef(item);
      if (ref !== undefined) out.push(ref);
    }
    if (out.length === 0 && items.length === 0) this.error('bad-value', entry.value.loc, '`by` needs at least one field');
    return out.length === 0 ? [session] : out;
  }

  private fieldRef(node: SourceNode): FieldRef | undefined {
    if (node.kind !== 'scalar' || typeof node.value !== 'string') {
      this.error('bad-type', node.loc, 'expected a field name such as tool, server, args.to');
      return undefined;
    }
    const ref = parseFieldRef(node.value);
    if (typeof ref === 'string') {
      this.error('unknown-field', node.loc, `${ref}${didYouMean(node.value.split('.')[0] ?? '', FIELD_NAMES)}`);
      return undefined;
    }
    return ref;
  }

  /** A matcher: a mapping of fields to predicates (all must hold), combinators, or a macro name. */
  matcher(node: SourceNode): MatcherAst | undefined {
    if (node.kind === 'scalar') {
      if (typeof node.value === 'string' && ID_PATTERN.test(node.value)) {
        return { kind: 'macro', name: node.value, loc: node.loc };
      }
      this.error('bad-matcher', node.loc, 'a matcher is a mapping of fields to conditions, or the name of a macro');
      return undefined;
    }
    if (node.kind === 'seq') {
      this.error('bad-matcher', node.loc, 'a matcher is a mapping, not a list (use `any: [...]` for alternatives)');
      return undefined;
    }
    if (node.entries.length === 0) {
      this.error('bad-matcher', node.loc, 'an empty matcher; name at least one field');
      return undefined;
    }
    const items: MatcherAst[] = [];
    let failed = false;
    for (const entry of node.entries) {
      const item = this.matcherEntry(entry);
      if (item === undefined) failed = true;
      else items.push(item);
    }
    if (failed) return undefined;
    return items.length === 1 ? items[0] : { kind: 'all', items, loc: node.loc };
  }

  private matcherEntry(entry: SourceEntry): MatcherAst | undefined {
    const { key, value } = entry;
    if (key === 'all' || key === 'any') {
      if (value.kind !== 'seq' || value.items.length === 0) {
        this.error('bad-matcher', value.loc, `\`${key}\` takes a non-empty list of matchers`);
        return undefined;
      }
      const items: MatcherAst[] = [];
      let failed = false;
      for (const item of value.items) {
        const matcher = this.matcher(item);
        if (matcher === undefined) failed = true;
        else items.push(matcher);
      }
      return failed ? undefined : { kind: key, items, loc: entry.keyLoc };
    }
    if (key === 'not') {
      const item = this.matcher(value);
      return item === undefined ? undefined : { kind: 'not', item, loc: entry.keyLoc };
    }
    if (key === 'macro') {
      if (value.kind !== 'scalar' || typeof value.value !== 'string') {
        this.error('bad-matcher', value.loc, '`macro` takes a macro name');
        return undefined;
      }
      return { kind: 'macro', name: value.value, loc: value.loc };
    }
    const ref = parseFieldRef(key);
    if (typeof ref === 'string') {
      const base = key.split('.')[0] ?? key;
      this.error('unknown-field', entry.keyLoc, `${ref}${didYouMean(base, [...FIELD_NAMES, ...COMBINATORS])}`);
      return undefined;
    }
    return this.fieldMatcher(ref, value, entry.keyLoc);
  }

  private fieldMatcher(field: FieldRef, node: SourceNode, loc: SourceLoc): MatcherAst | undefined {
    const type = fieldType(field);
    const predicates: PredicateAst[] = [];
    let ignoreCase = false;
    if (node.kind === 'scalar') {
      if (node.value === null) {
        this.error('bad-predicate', node.loc, `no condition given for "${field.text}"`);
        return undefined;
      }
      const predicate =
        typeof node.value === 'string' && isListRef(node.value)
          ? this.setPredicate('in', field, node)
          : this.equalsPredicate(field, node.value, node.loc);
      if (predicate === undefined) return undefined;
      predicates.push(predicate);
    } else if (node.kind === 'seq') {
      const predicate = this.setPredicate('in', field, node);
      if (predicate === undefined) return undefined;
      predicates.push(predicate);
    } else {
      const allowed = OPS_BY_TYPE[field.base === 'args' ? 'structured' : type]!;
      const allowedHere = field.base === 'args' ? [...allowed, 'from_tool_output'] : allowed;
      let failed = false;
      for (const entry of node.entries) {
        if (!(PREDICATE_OPS as readonly string[]).includes(entry.key)) {
          this.error(
            'unknown-operator',
            entry.keyLoc,
            `unknown condition "${entry.key}" on ${field.text}${didYouMean(entry.key, allowedHere)}`,
          );
          failed = true;
          continue;
        }
        if (!allowedHere.includes(entry.key)) {
          this.error(
            'bad-operator',
            entry.keyLoc,
            `"${entry.key}" does not apply to ${field.text} (a ${type} field; use ${allowedHere.join(', ')})`,
          );
          failed = true;
          continue;
        }
        if (entry.key === 'ignore_case') {
          ignoreCase = this.boolean(entry.value, 'ignore_case') ?? false;
          continue;
        }
        const predicate = this.predicate(entry.key, field, entry.value, entry.keyLoc);
        if (predicate === undefined) failed = true;
        else predicates.push(predicate);
      }
      if (failed) return undefined;
      if (predicates.length === 0) {
        this.error('bad-predicate', node.loc, `no condition given for "${field.text}"`);
        return undefined;
      }
    }
    return { kind: 'field', field, predicates, ignoreCase, loc };
  }

  private predicate(op: string, field: FieldRef, node: SourceNode, loc: SourceLoc): PredicateAst | undefined {
    switch (op) {
      case 'equals':
        if (node.kind !== 'scalar' || node.value === null) {
          this.error('bad-predicate', node.loc, '`equals` takes one value');
          return undefined;
        }
        return this.equalsPredicate(field, node.value, loc);
      case 'in':
      case 'glob':
      case 'contains':
      case 'starts_with':
      case 'ends_with':
      case 'url_outside':
      case 'email_domain_outside':
        return this.setPredicate(op, field, node);
      case 'matches': {
        const text = this.string(node, 'matches');
        if (text === undefined) return undefined;
        const literal = /^\/(.*)\/([a-z]*)$/s.exec(text);
        const pattern = literal === null ? text : literal[1]!;
        const flags = literal === null ? '' : literal[2]!;
        try {
          new RegExp(pattern, flags);
        } catch (error) {
          this.error('bad-regex', node.loc, `invalid regex ${JSON.stringify(text)}: ${(error as Error).message}`);
          return undefined;
        }
        return { op: 'matches', pattern, flags: flags.replace(/[gy]/g, ''), loc };
      }
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const value = this.number(node, op);
        return value === undefined ? undefined : { op, value, loc };
      }
      case 'exists': {
        const value = this.boolean(node, 'exists');
        return value === undefined ? undefined : { op: 'exists', value, loc };
      }
      case 'contains_pii': {
        const kinds = this.kinds(node, PII_KINDS, 'contains_pii');
        return kinds === undefined ? undefined : { op: 'contains_pii', kinds: kinds as PiiKind[], loc };
      }
      case 'contains_secret': {
        const kinds = this.kinds(node, SECRET_KINDS, 'contains_secret');
        return kinds === undefined ? undefined : { op: 'contains_secret', kinds: kinds as SecretKind[], loc };
      }
      case 'from_tool_output':
        return this.provenance(node, loc);
    }
    return undefined;
  }

  private provenance(node: SourceNode, loc: SourceLoc): PredicateAst | undefined {
    if (node.kind === 'scalar') {
      if (node.value !== true) {
        this.error('bad-predicate', node.loc, '`from_tool_output` takes true or {from: matcher, min_length: N}');
        return undefined;
      }
      return { op: 'from_tool_output', source: null, minLength: 4, loc };
    }
    if (node.kind !== 'map') {
      this.error('bad-predicate', node.loc, '`from_tool_output` takes true or {from: matcher, min_length: N}');
      return undefined;
    }
    this.checkKeys(node, ['from', 'min_length'], 'from_tool_output');
    const fromEntry = entryOf(node, 'from');
    const source = fromEntry === undefined ? null : this.matcher(fromEntry.value);
    if (source === undefined) return undefined;
    const minEntry = entryOf(node, 'min_length');
    const minLength = minEntry === undefined ? 4 : this.integer(minEntry.value, 'min_length', 1, 10_000);
    if (minLength === undefined) return undefined;
    return { op: 'from_tool_output', source, minLength, loc };
  }

  private kinds(node: SourceNode, all: readonly string[], op: string): string[] | undefined {
    if (node.kind === 'scalar' && node.value === true) return [...all];
    const items = node.kind === 'seq' ? node.items : [node];
    const out: string[] = [];
    for (const item of items) {
      const value = item.kind === 'scalar' ? item.value : undefined;
      if (typeof value !== 'string' || !all.includes(value)) {
        this.error(
          'bad-predicate',
          item.loc,
          `\`${op}\` takes true or kinds from ${all.join(', ')}${didYouMean(String(value), all)}`,
        );
        return undefined;
      }
      out.push(value);
    }
    return out;
  }

  private equalsPredicate(field: FieldRef, value: Scalar, loc: SourceLoc): PredicateAst | undefined {
    if (!this.valueFits(field, value, loc)) return undefined;
    return { op: 'equals', value, loc };
  }

  private setPredicate(
    op: Exclude<PredicateAst['op'], 'equals' | 'matches' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists' | 'contains_pii' | 'contains_secret' | 'from_tool_output'>,
    field: FieldRef,
    node: SourceNode,
  ): PredicateAst | undefined {
    const items = node.kind === 'seq' ? node.items : [node];
    const values: Scalar[] = [];
    const lists: ListRef[] = [];
    let failed = false;
    for (const item of items) {
      if (item.kind !== 'scalar' || item.value === null) {
        this.error('bad-predicate', item.loc, `\`${op}\` takes a value, a list of values or a $list reference`);
        failed = true;
        continue;
      }
      const value = item.value;
      if (typeof value === 'string' && isListRef(value)) {
        lists.push({ name: value.slice(1), loc: item.loc });
        continue;
      }
      const literal = typeof value === 'string' && value.startsWith('$$') ? value.slice(1) : value;
      if (op === 'in' && !this.valueFits(field, literal, item.loc)) {
        failed = true;
        continue;
      }
      if (op !== 'in' && typeof literal !== 'string') {
        this.error('bad-predicate', item.loc, `\`${op}\` takes strings, got ${JSON.stringify(literal)}`);
        failed = true;
        continue;
      }
      values.push(literal);
    }
    if (failed) return undefined;
    const set: ValueSet = { values, lists };
    return { op, set, loc: node.loc };
  }

  /** Checks a literal against the field's type; enum fields name their allowed values. */
  valueFits(field: FieldRef, value: Scalar, loc: SourceLoc): boolean {
    const type = fieldType(field);
    const allowed = enumValues(field);
    if (allowed !== undefined && (typeof value !== 'string' || !allowed.includes(value))) {
      this.error(
        'bad-value',
        loc,
        `${field.text} is one of ${allowed.join(', ')}; got ${JSON.stringify(value)}${didYouMean(String(value), allowed)}`,
      );
      return false;
    }
    if (type === 'boolean' && typeof value !== 'boolean') {
      this.error('bad-value', loc, `${field.text} is true or false; got ${JSON.stringify(value)}`);
      return false;
    }
    if (type === 'number' && typeof value !== 'number') {
      this.error('bad-value', loc, `${field.text} is a number; got ${JSON.stringify(value)}`);
      return false;
    }
    return true;
  }

  private messageTemplate(node: SourceNode): string | undefined {
    const text = this.string(node, 'message');
    if (text === undefined) return undefined;
    for (const match of text.matchAll(/\{([^{}]*)\}/g)) {
      const name = match[1]!;
      if (!(MESSAGE_PLACEHOLDERS as readonly string[]).includes(name)) {
        this.error(
          'bad-message',
          node.loc,
          `unknown placeholder {${name}} in message (use ${MESSAGE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})${didYouMean(name, MESSAGE_PLACEHOLDERS)}`,
        );
      }
    }
    return text;
  }

  private severity(node: SourceNode): Severity | undefined {
    const value = node.kind === 'scalar' ? node.value : undefined;
    if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) return value as Severity;
    this.error(
      'bad-value',
      node.loc,
      `severity must be one of ${SEVERITIES.join(', ')}; got ${JSON.stringify(value ?? node.kind)}${didYouMean(String(value), SEVERITIES)}`,
    );
    return undefined;
  }

  private duration(node: SourceNode, what: string): number | undefined {
    const text = node.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
    const ms = text === undefined ? undefined : parseDuration(text);
    if (ms === undefined || ms <= 0) {
      const shown = node.kind === 'scalar' ? JSON.stringify(node.value) : node.kind;
      this.error('bad-duration', node.loc, `${what} must be a positive duration with a unit (500ms, 30s, 5m, 1h, 1d); got ${shown}`);
      return undefined;
    }
    return ms;
  }

  private string(node: SourceNode, what: string): string | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'string') return node.value;
    this.error('bad-type', node.loc, `${what} must be a string`);
    return undefined;
  }

  private strings(node: SourceNode, what: string): string[] | undefined {
    if (node.kind !== 'seq') {
      this.error('bad-type', node.loc, `${what} must be a list of strings`);
      return undefined;
    }
    const out: string[] = [];
    for (const item of node.items) {
      const value = this.string(item, `each of ${what}`);
      if (value !== undefined) out.push(value);
    }
    return out;
  }

  private number(node: SourceNode, what: string): number | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'number' && Number.isFinite(node.value)) return node.value;
    this.error('bad-type', node.loc, `${what} must be a number`);
    return undefined;
  }

  private integer(node: SourceNode, what: string, min: number, max: number): number | undefined {
    const value = node.kind === 'scalar' ? node.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.error('bad-value', node.loc, `${what} must be a whole number from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  private boolean(node: SourceNode, what: string): boolean | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
    this.error('bad-type', node.loc, `${what} must be true or false`);
    return undefined;
  }
}

function isListRef(value: string): boolean {
  return value.length > 1 && value.startsWith('$') && !value.startsWith('$$');
}
