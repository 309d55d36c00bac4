import safeRegex from 'safe-regex2';
import { PII_KINDS, SECRET_KINDS } from './content-checks.js';
import type { PiiKind, SecretKind } from './content-checks.js';
import { didYouMean } from './diagnostics.js';
import type { SourceLoc } from './diagnostics.js';
import { FIELD_NAMES, enumValues, fieldType, parseFieldRef } from './fields.js';
import type { FieldRef } from './fields.js';
import type { ListRef, MatcherAst, PredicateAst, Scalar, ValueSet } from './ast.js';
import { ID_PATTERN } from './node-reader.js';
import type { NodeReader } from './node-reader.js';
import { entryOf } from './source-tree.js';
import type { SourceEntry, SourceNode } from './source-tree.js';

/** Quantifiers a pattern may hold in all: high, so that only nesting is refused, not long patterns. */
const SAFE_REGEX_REPETITIONS = 1_000;

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

/** Reads matchers (`match`, `until`, `condition`, exceptions, `from_tool_output.from`) into MatcherAst. */
export class MatcherReader {
  constructor(private readonly nodes: NodeReader) {}

  /** A matcher: a mapping of fields to predicates (all must hold), combinators, or a macro name. */
  matcher(node: SourceNode): MatcherAst | undefined {
    if (node.kind === 'scalar') {
      if (typeof node.value === 'string' && ID_PATTERN.test(node.value)) {
        return { kind: 'macro', name: node.value, loc: node.loc };
      }
      this.nodes.error('bad-matcher', node.loc, 'a matcher is a mapping of fields to conditions, or the name of a macro');
      return undefined;
    }
    if (node.kind === 'seq') {
      this.nodes.error('bad-matcher', node.loc, 'a matcher is a mapping, not a list (use `any: [...]` for alternatives)');
      return undefined;
    }
    if (node.entries.length === 0) {
      this.nodes.error('bad-matcher', node.loc, 'an empty matcher; name at least one field');
      return undefined;
    }
    const items = readAll(node.entries, (entry) => this.matcherEntry(entry));
    if (items === undefined) return undefined;
    return items.length === 1 ? items[0] : { kind: 'all', items, loc: node.loc };
  }

  private matcherEntry(entry: SourceEntry): MatcherAst | undefined {
    const { key, value } = entry;
    if (key === 'all' || key === 'any') {
      if (value.kind !== 'seq' || value.items.length === 0) {
        this.nodes.error('bad-matcher', value.loc, `\`${key}\` takes a non-empty list of matchers`);
        return undefined;
      }
      const items = readAll(value.items, (item) => this.matcher(item));
      return items === undefined ? undefined : { kind: key, items, loc: entry.keyLoc };
    }
    if (key === 'not') {
      const item = this.matcher(value);
      return item === undefined ? undefined : { kind: 'not', item, loc: entry.keyLoc };
    }
    if (key === 'macro') {
      if (value.kind !== 'scalar' || typeof value.value !== 'string') {
        this.nodes.error('bad-matcher', value.loc, '`macro` takes a macro name');
        return undefined;
      }
      return { kind: 'macro', name: value.value, loc: value.loc };
    }
    const ref = parseFieldRef(key);
    if (typeof ref === 'string') {
      const base = key.split('.')[0] ?? key;
      this.nodes.error('unknown-field', entry.keyLoc, `${ref}${didYouMean(base, [...FIELD_NAMES, ...COMBINATORS])}`);
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
        this.nodes.error('bad-predicate', node.loc, `no condition given for "${field.text}"`);
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
          this.nodes.error(
            'unknown-operator',
            entry.keyLoc,
            `unknown condition "${entry.key}" on ${field.text}${didYouMean(entry.key, allowedHere)}`,
          );
          failed = true;
          continue;
        }
        if (!allowedHere.includes(entry.key)) {
          this.nodes.error(
            'bad-operator',
            entry.keyLoc,
            `"${entry.key}" does not apply to ${field.text} (a ${type} field; use ${allowedHere.join(', ')})`,
          );
          failed = true;
          continue;
        }
        if (entry.key === 'ignore_case') {
          ignoreCase = this.nodes.boolean(entry.value, 'ignore_case') ?? false;
          continue;
        }
        const predicate = this.predicate(entry.key, field, entry.value, entry.keyLoc);
        if (predicate === undefined) failed = true;
        else predicates.push(predicate);
      }
      if (failed) return undefined;
      if (predicates.length === 0) {
        this.nodes.error('bad-predicate', node.loc, `no condition given for "${field.text}"`);
        return undefined;
      }
    }
    return { kind: 'field', field, predicates, ignoreCase, loc };
  }

  private predicate(op: string, field: FieldRef, node: SourceNode, loc: SourceLoc): PredicateAst | undefined {
    switch (op) {
      case 'equals':
        if (node.kind !== 'scalar' || node.value === null) {
          this.nodes.error('bad-predicate', node.loc, '`equals` takes one value');
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
        const text = this.nodes.string(node, 'matches');
        if (text === undefined) return undefined;
        const literal = /^\/(.*)\/([a-z]*)$/s.exec(text);
        const pattern = literal === null ? text : literal[1]!;
        const flags = literal === null ? '' : literal[2]!;
        let regex: RegExp;
        try {
          regex = new RegExp(pattern, flags);
        } catch (error) {
          this.nodes.error('bad-regex', node.loc, `invalid regex ${JSON.stringify(text)}: ${(error as Error).message}`);
          return undefined;
        }
        // Every call's arguments go through it on the data path, where a quantifier inside a quantified
        // group can backtrack exponentially (27 characters against ^(\w+\s?)+$ take 0.3 s, 40 take hours).
        // A warning, not an error: the test also flags nestings that cannot backtrack, like ^\w+(\s\w+)*$.
        if (!safeRegex(regex, { limit: SAFE_REGEX_REPETITIONS })) {
          this.nodes.warning(
            'unsafe-regex',
            node.loc,
            `regex ${JSON.stringify(text)} nests a quantifier inside a quantified group: unless every repetition must start differently (as in ^\\w+(\\s\\w+)*$), some inputs take exponential time`,
          );
        }
        return { op: 'matches', pattern, flags: flags.replace(/[gy]/g, ''), loc };
      }
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const value = this.nodes.number(node, op);
        return value === undefined ? undefined : { op, value, loc };
      }
      case 'exists': {
        const value = this.nodes.boolean(node, 'exists');
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
        this.nodes.error('bad-predicate', node.loc, '`from_tool_output` takes true or {from: matcher, min_length: N}');
        return undefined;
      }
      return { op: 'from_tool_output', source: null, minLength: 4, loc };
    }
    if (node.kind !== 'map') {
      this.nodes.error('bad-predicate', node.loc, '`from_tool_output` takes true or {from: matcher, min_length: N}');
      return undefined;
    }
    this.nodes.checkKeys(node, ['from', 'min_length'], 'from_tool_output');
    const fromEntry = entryOf(node, 'from');
    const source = fromEntry === undefined ? null : this.matcher(fromEntry.value);
    if (source === undefined) return undefined;
    const minEntry = entryOf(node, 'min_length');
    const minLength = minEntry === undefined ? 4 : this.nodes.integer(minEntry.value, 'min_length', 1, 10_000);
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
        this.nodes.error(
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
        this.nodes.error('bad-predicate', item.loc, `\`${op}\` takes a value, a list of values or a $list reference`);
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
        this.nodes.error('bad-predicate', item.loc, `\`${op}\` takes strings, got ${JSON.stringify(literal)}`);
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
  private valueFits(field: FieldRef, value: Scalar, loc: SourceLoc): boolean {
    const type = fieldType(field);
    const allowed = enumValues(field);
    if (allowed !== undefined && (typeof value !== 'string' || !allowed.includes(value))) {
      this.nodes.error(
        'bad-value',
        loc,
        `${field.text} is one of ${allowed.join(', ')}; got ${JSON.stringify(value)}${didYouMean(String(value), allowed)}`,
      );
      return false;
    }
    if (type === 'boolean' && typeof value !== 'boolean') {
      this.nodes.error('bad-value', loc, `${field.text} is true or false; got ${JSON.stringify(value)}`);
      return false;
    }
    if (type === 'number' && typeof value !== 'number') {
      this.nodes.error('bad-value', loc, `${field.text} is a number; got ${JSON.stringify(value)}`);
      return false;
    }
    return true;
  }
}

function isListRef(value: string): boolean {
  return value.length > 1 && value.startsWith('$') && !value.startsWith('$$');
}

/** Reads every item (so each error is reported), or undefined when any failed. */
function readAll<T, R>(items: readonly T[], read: (item: T) => R | undefined): R[] | undefined {
  const out: R[] = [];
  let failed = false;
  for (const item of items) {
    const value = read(item);
    if (value === undefined) failed = true;
    else out.push(value);
  }
  return failed ? undefined : out;
}
