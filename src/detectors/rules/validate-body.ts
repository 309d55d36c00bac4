import { didYouMean } from './diagnostics.js';
import { FIELD_NAMES, fieldType, parseFieldRef } from './fields.js';
import type { FieldRef } from './fields.js';
import type { Aggregate, EventAst, FlowAst, FlowOp, RuleBody, SequenceAst, StepAst, ThresholdAst } from './ast.js';
import { ID_PATTERN } from './node-reader.js';
import type { NodeReader } from './node-reader.js';
import type { MatcherReader } from './validate-matcher.js';
import { entryOf } from './source-tree.js';
import type { SourceEntry, SourceMap, SourceNode } from './source-tree.js';

const SEQUENCE_KEYS = ['by', 'maxspan', 'steps', 'until', 'max_pending'];
const STEP_KEYS = ['name', 'match', 'runs', 'next', 'flow'];
const FLOW_KEYS = ['field', 'op', 'from', 'min_length'];
const THRESHOLD_KEYS = ['match', 'by', 'window', 'aggregate', 'field', 'condition', 'baseline', 'max_events'];

/** Reads a rule's body: a single-event `match`, a `sequence` of steps or a `threshold` over a window. */
export class BodyReader {
  constructor(
    private readonly nodes: NodeReader,
    private readonly matchers: MatcherReader,
  ) {}

  body(entry: SourceEntry): RuleBody | undefined {
    if (entry.key === 'match') {
      const match = this.matchers.matcher(entry.value);
      if (match === undefined) return undefined;
      const body: EventAst = { kind: 'match', match, loc: entry.keyLoc };
      return body;
    }
    if (entry.key === 'sequence') return this.sequence(entry);
    return this.threshold(entry);
  }

  private sequence(entry: SourceEntry): SequenceAst | undefined {
    const map = entry.value;
    if (map.kind !== 'map') {
      this.nodes.error('bad-type', map.loc, '`sequence` is a mapping with `steps` (and by, maxspan, until)');
      return undefined;
    }
    this.nodes.checkKeys(map, SEQUENCE_KEYS, 'a sequence');
    const by = this.keyFields(entryOf(map, 'by'));
    const maxspan = entryOf(map, 'maxspan');
    const maxspanMs = maxspan === undefined ? null : (this.nodes.duration(maxspan.value, 'maxspan') ?? null);
    const untilEntry = entryOf(map, 'until');
    const until = untilEntry === undefined ? null : (this.matchers.matcher(untilEntry.value) ?? null);
    const maxPendingEntry = entryOf(map, 'max_pending');
    const maxPending =
      maxPendingEntry === undefined ? null : (this.nodes.integer(maxPendingEntry.value, 'max_pending', 1, 100_000) ?? null);
    const stepsEntry = entryOf(map, 'steps');
    if (stepsEntry === undefined || stepsEntry.value.kind !== 'seq' || stepsEntry.value.items.length === 0) {
      this.nodes.error('missing-field', stepsEntry?.value.loc ?? map.loc, 'a sequence needs `steps`: a non-empty list');
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
      this.nodes.error('bad-sequence', stepsEntry.value.loc, 'a sequence needs at least one step that is not `missing`');
    }
    return { kind: 'sequence', by, maxspanMs, steps, until, maxPending, loc: entry.keyLoc };
  }

  private step(node: SourceNode, ordinal: number, earlier: ReadonlySet<string>): StepAst | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'string') {
      const match = this.matchers.matcher(node);
      return match === undefined
        ? undefined
        : { kind: 'step', name: `step${ordinal}`, match, runs: 1, immediate: false, flow: [], loc: node.loc };
    }
    if (node.kind !== 'map') {
      this.nodes.error('bad-type', node.loc, 'a step is a mapping {match, name?, runs?, next?, flow?} or {missing}');
      return undefined;
    }
    const missing = entryOf(node, 'missing');
    if (missing !== undefined) {
      this.nodes.checkKeys(node, ['missing'], 'a missing step');
      const match = this.matchers.matcher(missing.value);
      return match === undefined ? undefined : { kind: 'missing', match, loc: node.loc };
    }
    this.nodes.checkKeys(node, STEP_KEYS, 'a step');
    const nameEntry = entryOf(node, 'name');
    let name = `step${ordinal}`;
    if (nameEntry !== undefined) {
      const given = this.nodes.string(nameEntry.value, 'step name');
      if (given !== undefined && !ID_PATTERN.test(given)) {
        this.nodes.error('bad-id', nameEntry.value.loc, `step name "${given}" must be letters, digits and _ . : -`);
      } else if (given !== undefined && earlier.has(given)) {
        this.nodes.error('duplicate-step', nameEntry.value.loc, `step name "${given}" is used twice`);
      } else if (given !== undefined) {
        name = given;
      }
    }
    const matchEntry = entryOf(node, 'match');
    if (matchEntry === undefined) {
      this.nodes.error('missing-field', node.loc, 'a step needs `match` (or is `missing: ...`)');
      return undefined;
    }
    const match = this.matchers.matcher(matchEntry.value);
    const runsEntry = entryOf(node, 'runs');
    const runs = runsEntry === undefined ? 1 : (this.nodes.integer(runsEntry.value, 'runs', 1, 1000) ?? 1);
    const nextEntry = entryOf(node, 'next');
    let immediate = false;
    if (nextEntry !== undefined) {
      const next = nextEntry.value.kind === 'scalar' ? nextEntry.value.value : undefined;
      if (next === 'immediately') immediate = true;
      else if (next !== 'eventually') {
        this.nodes.error('bad-value', nextEntry.value.loc, '`next` must be eventually (default) or immediately');
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
        this.nodes.error('bad-type', item.loc, 'a flow constraint is a mapping {field, op, from}');
        continue;
      }
      this.nodes.checkKeys(item, FLOW_KEYS, 'a flow constraint');
      const fieldEntry = entryOf(item, 'field');
      const fromEntry = entryOf(item, 'from');
      if (fieldEntry === undefined || fromEntry === undefined) {
        this.nodes.error('missing-field', item.loc, 'a flow constraint needs `field` and `from` (step.field)');
        continue;
      }
      const field = this.fieldRef(fieldEntry.value);
      const opEntry = entryOf(item, 'op');
      let op: FlowOp = 'equals';
      if (opEntry !== undefined) {
        const value = opEntry.value.kind === 'scalar' ? opEntry.value.value : undefined;
        if (value === 'equals' || value === 'contains' || value === 'in') op = value;
        else this.nodes.error('bad-value', opEntry.value.loc, '`op` must be equals, contains or in');
      }
      const minEntry = entryOf(item, 'min_length');
      const minLength = minEntry === undefined ? 4 : (this.nodes.integer(minEntry.value, 'min_length', 1, 10_000) ?? 4);
      const fromText = this.nodes.string(fromEntry.value, 'from');
      if (fromText === undefined || field === undefined) continue;
      const dot = fromText.indexOf('.');
      const fromStep = dot < 0 ? fromText : fromText.slice(0, dot);
      if (dot < 0) {
        this.nodes.error('bad-flow', fromEntry.value.loc, `\`from\` is step.field (e.g. ${fromText}.result), got "${fromText}"`);
        continue;
      }
      if (!earlier.has(fromStep)) {
        this.nodes.error(
          'bad-flow',
          fromEntry.value.loc,
          `flow refers to step "${fromStep}", which is not an earlier step${didYouMean(fromStep, earlier)}`,
        );
        continue;
      }
      const fromField = parseFieldRef(fromText.slice(dot + 1));
      if (typeof fromField === 'string') {
        this.nodes.error('unknown-field', fromEntry.value.loc, `${fromField}${didYouMean(fromText.slice(dot + 1), FIELD_NAMES)}`);
        continue;
      }
      out.push({ field, op, fromStep, fromField, minLength, loc: item.loc });
    }
    return out;
  }

  private threshold(entry: SourceEntry): ThresholdAst | undefined {
    const map = entry.value;
    if (map.kind !== 'map') {
      this.nodes.error('bad-type', map.loc, '`threshold` is a mapping with window, condition (and match, by, aggregate)');
      return undefined;
    }
    this.nodes.checkKeys(map, THRESHOLD_KEYS, 'a threshold');
    const matchEntry = entryOf(map, 'match');
    const match = matchEntry === undefined ? null : (this.matchers.matcher(matchEntry.value) ?? null);
    const by = this.keyFields(entryOf(map, 'by'));
    const windowEntry = entryOf(map, 'window');
    const windowMs = windowEntry === undefined ? undefined : this.nodes.duration(windowEntry.value, 'window');
    if (windowEntry === undefined) this.nodes.error('missing-field', map.loc, 'a threshold needs a `window` (e.g. 60s)');
    const aggregateEntry = entryOf(map, 'aggregate');
    let aggregate: Aggregate = 'count';
    if (aggregateEntry !== undefined) {
      const value = aggregateEntry.value.kind === 'scalar' ? aggregateEntry.value.value : undefined;
      const allowed = ['count', 'distinct', 'sum', 'rate'];
      if (typeof value === 'string' && allowed.includes(value)) aggregate = value as Aggregate;
      else {
        this.nodes.error(
          'bad-value',
          aggregateEntry.value.loc,
          `\`aggregate\` must be one of ${allowed.join(', ')}${didYouMean(String(value), allowed)}`,
        );
      }
    }
    const fieldEntry = entryOf(map, 'field');
    const field = fieldEntry === undefined ? null : (this.fieldRef(fieldEntry.value) ?? null);
    if ((aggregate === 'distinct' || aggregate === 'sum') && fieldEntry === undefined) {
      this.nodes.error('missing-field', map.loc, `aggregate ${aggregate} needs a \`field\``);
    }
    if ((aggregate === 'count' || aggregate === 'rate') && fieldEntry !== undefined) {
      this.nodes.error('bad-field', fieldEntry.keyLoc, `aggregate ${aggregate} takes no \`field\``);
    }
    if (aggregate === 'sum' && field !== null && fieldType(field) !== 'number' && fieldType(field) !== 'structured') {
      this.nodes.error('bad-field', fieldEntry!.value.loc, `sum needs a numeric field, "${field.text}" is not`);
    }
    const condition = this.condition(entryOf(map, 'condition'), map);
    const baselineEntry = entryOf(map, 'baseline');
    let baseline: ThresholdAst['baseline'] = null;
    if (baselineEntry !== undefined) {
      if (aggregate !== 'rate') this.nodes.error('bad-field', baselineEntry.keyLoc, '`baseline` applies to aggregate rate only');
      baseline = this.baseline(baselineEntry.value, windowMs ?? 0);
    }
    const maxEventsEntry = entryOf(map, 'max_events');
    const maxEvents =
      maxEventsEntry === undefined ? null : (this.nodes.integer(maxEventsEntry.value, 'max_events', 1, 1_000_000) ?? null);
    if (windowMs === undefined || condition === undefined) return undefined;
    return { kind: 'threshold', match, by, windowMs, aggregate, field, condition, baseline, maxEvents, loc: entry.keyLoc };
  }

  private condition(entry: SourceEntry | undefined, parent: SourceMap): ThresholdAst['condition'] | undefined {
    if (entry === undefined) {
      this.nodes.error('missing-field', parent.loc, 'a threshold needs a `condition`, e.g. {gte: 10}');
      return undefined;
    }
    const map = entry.value;
    if (map.kind !== 'map' || map.entries.length !== 1) {
      this.nodes.error('bad-condition', map.loc, 'a condition is one comparison: {gt: N} or {gte: N}');
      return undefined;
    }
    const only = map.entries[0]!;
    if (only.key !== 'gt' && only.key !== 'gte') {
      const hint = only.key === 'lt' || only.key === 'lte' || only.key === 'eq' ? ' (thresholds fire as values grow)' : '';
      this.nodes.error('bad-condition', only.keyLoc, `a condition compares with gt or gte, not "${only.key}"${hint}`);
      return undefined;
    }
    const value = this.nodes.number(only.value, only.key);
    if (value === undefined) return undefined;
    if (value < 0) {
      this.nodes.error('bad-condition', only.value.loc, 'a threshold is not negative');
      return undefined;
    }
    return { op: only.key, value, loc: only.keyLoc };
  }

  private baseline(node: SourceNode, windowMs: number): ThresholdAst['baseline'] {
    if (node.kind !== 'map') {
      this.nodes.error('bad-type', node.loc, '`baseline` is a mapping {factor, min_history}');
      return null;
    }
    this.nodes.checkKeys(node, ['factor', 'min_history'], 'a baseline');
    const factorEntry = entryOf(node, 'factor');
    const factor = factorEntry === undefined ? undefined : this.nodes.number(factorEntry.value, 'factor');
    if (factorEntry === undefined) this.nodes.error('missing-field', node.loc, 'a baseline needs a `factor` (e.g. 5)');
    else if (factor !== undefined && factor <= 1) this.nodes.error('bad-value', factorEntry.value.loc, '`factor` must be above 1');
    const historyEntry = entryOf(node, 'min_history');
    const minHistoryMs = historyEntry === undefined ? windowMs : this.nodes.duration(historyEntry.value, 'min_history');
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
    if (out.length === 0 && items.length === 0) this.nodes.error('bad-value', entry.value.loc, '`by` needs at least one field');
    return out.length === 0 ? [session] : out;
  }

  private fieldRef(node: SourceNode): FieldRef | undefined {
    if (node.kind !== 'scalar' || typeof node.value !== 'string') {
      this.nodes.error('bad-type', node.loc, 'expected a field name such as tool, server, args.to');
      return undefined;
    }
    const ref = parseFieldRef(node.value);
    if (typeof ref === 'string') {
      this.nodes.error('unknown-field', node.loc, `${ref}${didYouMean(node.value.split('.')[0] ?? '', FIELD_NAMES)}`);
      return undefined;
    }
    return ref;
  }
}
