import type { Severity } from '../finding.js';
import { didYouMean } from './diagnostics.js';
import type { DiagnosticBag, ElementRef, SourceLoc } from './diagnostics.js';
import { enumValues, fieldType } from './fields.js';
import type {
  ExceptionAst,
  ListAst,
  MacroAst,
  MatcherAst,
  PredicateAst,
  RuleAst,
  RuleBody,
  RuleFileAst,
  Scalar,
  StepAst,
  ValueSet,
} from './ast.js';

/** A rule after overrides are applied and every macro and list reference is inlined. */
export interface ResolvedRule {
  readonly id: string;
  readonly loc: SourceLoc;
  readonly description: string;
  readonly severity: Severity;
  readonly score: number | undefined;
  readonly tags: readonly string[];
  readonly enabled: boolean;
  readonly message: string | undefined;
  readonly exceptions: readonly ExceptionAst[];
  readonly body: RuleBody;
}

export interface ResolvedRuleSet {
  /** All rules in definition order, disabled ones included. */
  readonly rules: readonly ResolvedRule[];
  readonly listCount: number;
  readonly macroCount: number;
}

type MutableRule = { -readonly [K in keyof RuleAst]: RuleAst[K] };

interface ListEntry {
  items: Scalar[];
  readonly loc: SourceLoc;
}

interface MacroEntry {
  condition: MatcherAst;
  readonly loc: SourceLoc;
}

/** Stage 3 (resolve): applies overrides in file order, then inlines lists and macros. */
export function resolveRuleFiles(files: readonly RuleFileAst[], diagnostics: DiagnosticBag): ResolvedRuleSet {
  const lists = new Map<string, ListEntry>();
  const macros = new Map<string, MacroEntry>();
  const rules = new Map<string, MutableRule>();
  for (const file of files) {
    for (const element of file.elements) {
      if (element.kind === 'list') mergeList(element.list, lists, diagnostics);
      else if (element.kind === 'macro') mergeMacro(element.macro, macros, diagnostics);
      else mergeRule(element.rule, rules, diagnostics);
    }
  }
  const expander = new Expander(lists, macros, diagnostics);
  for (const id of macros.keys()) expander.macro(id);
  const resolved: ResolvedRule[] = [];
  for (const rule of rules.values()) {
    const out = expander.rule(rule);
    if (out !== undefined) resolved.push(out);
  }
  expander.warnUnused();
  return { rules: resolved, listCount: lists.size, macroCount: macros.size };
}

function where(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}`;
}

function mergeList(list: ListAst, lists: Map<string, ListEntry>, diagnostics: DiagnosticBag): void {
  const element: ElementRef = { kind: 'list', id: list.id };
  const existing = lists.get(list.id);
  if (list.override !== undefined) {
    if (existing === undefined) {
      diagnostics.error('unknown-override', list.loc, element, `override of list "${list.id}", which no earlier file defines${didYouMean(list.id, lists.keys())}`);
      return;
    }
    existing.items = list.override === 'append' ? [...existing.items, ...list.items] : [...list.items];
    return;
  }
  if (existing !== undefined) {
    diagnostics.error('duplicate-id', list.loc, element, `list "${list.id}" is already defined at ${where(existing.loc)}; tune it with override: {items: append}`);
    return;
  }
  lists.set(list.id, { items: [...list.items], loc: list.loc });
}

function mergeMacro(macro: MacroAst, macros: Map<string, MacroEntry>, diagnostics: DiagnosticBag): void {
  const element: ElementRef = { kind: 'macro', id: macro.id };
  const existing = macros.get(macro.id);
  if (macro.override !== undefined) {
    if (existing === undefined) {
      diagnostics.error('unknown-override', macro.loc, element, `override of macro "${macro.id}", which no earlier file defines${didYouMean(macro.id, macros.keys())}`);
      return;
    }
    existing.condition = macro.condition;
    return;
  }
  if (existing !== undefined) {
    diagnostics.error('duplicate-id', macro.loc, element, `macro "${macro.id}" is already defined at ${where(existing.loc)}; tune it with override: {condition: replace}`);
    return;
  }
  macros.set(macro.id, { condition: macro.condition, loc: macro.loc });
}

function mergeRule(rule: RuleAst, rules: Map<string, MutableRule>, diagnostics: DiagnosticBag): void {
  const element: ElementRef = { kind: 'rule', id: rule.id };
  const existing = rules.get(rule.id);
  if (rule.override === undefined) {
    if (existing !== undefined) {
      diagnostics.error('duplicate-id', rule.loc, element, `rule "${rule.id}" is already defined at ${where(existing.loc)}; tune it with override: {<field>: replace|append}`);
      return;
    }
    rules.set(rule.id, { ...rule });
    return;
  }
  if (existing === undefined) {
    diagnostics.error('unknown-override', rule.loc, element, `override of rule "${rule.id}", which no earlier file defines${didYouMean(rule.id, rules.keys())}`);
    return;
  }
  for (const [field, mode] of rule.override) {
    switch (field) {
      case 'tags':
        existing.tags = mode === 'append' ? [...(existing.tags ?? []), ...(rule.tags ?? [])] : rule.tags;
        break;
      case 'exceptions': {
        const added = rule.exceptions ?? [];
        if (mode === 'append') {
          const names = new Set((existing.exceptions ?? []).map((e) => e.name));
          for (const exception of added) {
            if (names.has(exception.name)) {
              diagnostics.error('duplicate-exception', exception.loc, element, `exception "${exception.name}" already exists on rule "${rule.id}"`);
            }
          }
          existing.exceptions = [...(existing.exceptions ?? []), ...added];
        } else {
          existing.exceptions = added;
        }
        break;
      }
      case 'match':
      case 'sequence':
      case 'threshold':
        if (rule.body !== undefined) existing.body = rule.body;
        break;
      case 'description':
        existing.description = rule.description;
        break;
      case 'severity':
        existing.severity = rule.severity;
        break;
      case 'score':
        existing.score = rule.score;
        break;
      case 'enabled':
        existing.enabled = rule.enabled;
        break;
      case 'message':
        existing.message = rule.message;
        break;
    }
  }
}

const EXPANDING = Symbol('expanding');
const FAILED = Symbol('failed');

/** Inlines macros and lists, tracking which are used, and reporting cycles and unknown names. */
class Expander {
  private readonly expanded = new Map<string, MatcherAst | typeof EXPANDING | typeof FAILED>();
  /** Lists and macros each macro refers to directly (`list:x`, `macro:y`). */
  private readonly macroRefs = new Map<string, Set<string>>();
  private readonly ruleRefs = new Set<string>();
  private refs: Set<string> = this.ruleRefs;
  private element: ElementRef = { kind: '', id: '' };
  private readonly stack: string[] = [];

  constructor(
    private readonly lists: ReadonlyMap<string, ListEntry>,
    private readonly macros: ReadonlyMap<string, MacroEntry>,
    private readonly diagnostics: DiagnosticBag,
  ) {}

  macro(id: string): MatcherAst | undefined {
    const done = this.expanded.get(id);
    if (done === FAILED) return undefined;
    if (done !== undefined && done !== EXPANDING) return done;
    const entry = this.macros.get(id);
    if (entry === undefined) return undefined;
    const outerRefs = this.refs;
    const outerElement = this.element;
    const refs = new Set<string>();
    this.macroRefs.set(id, refs);
    this.refs = refs;
    this.element = { kind: 'macro', id };
    this.expanded.set(id, EXPANDING);
    this.stack.push(id);
    const result = this.matcher(entry.condition);
    this.stack.pop();
    this.refs = outerRefs;
    this.element = outerElement;
    this.expanded.set(id, result ?? FAILED);
    return result;
  }

  rule(rule: MutableRule): ResolvedRule | undefined {
    this.element = { kind: 'rule', id: rule.id };
    this.refs = this.ruleRefs;
    const body = rule.body === undefined ? undefined : this.body(rule.body);
    let failed = body === undefined;
    const exceptions: ExceptionAst[] = [];
    for (const exception of rule.exceptions ?? []) {
      const match = this.matcher(exception.match);
      if (match === undefined) failed = true;
      else exceptions.push({ ...exception, match });
    }
    // Expanded first so reference errors show up even when validate already rejected other fields.
    if (failed || body === undefined || rule.description === undefined || rule.severity === undefined) return undefined;
    return {
      id: rule.id,
      loc: rule.loc,
      description: rule.description,
      severity: rule.severity,
      score: rule.score,
      tags: rule.tags ?? [],
      enabled: rule.enabled ?? true,
      message: rule.message,
      exceptions,
      body,
    };
  }

  warnUnused(): void {
    const used = new Set<string>();
    const pending = [...this.ruleRefs];
    while (pending.length > 0) {
      const ref = pending.pop()!;
      if (used.has(ref)) continue;
      used.add(ref);
      if (ref.startsWith('macro:')) for (const next of this.macroRefs.get(ref.slice(6)) ?? []) pending.push(next);
    }
    for (const [id, entry] of this.lists) {
      if (!used.has(`list:${id}`)) {
        this.diagnostics.warning('unused-list', entry.loc, { kind: 'list', id }, `list "${id}" is not used by any rule`);
      }
    }
    for (const [id, entry] of this.macros) {
      if (!used.has(`macro:${id}`)) {
        this.diagnostics.warning('unused-macro', entry.loc, { kind: 'macro', id }, `macro "${id}" is not used by any rule`);
      }
    }
  }

  private body(body: RuleBody): RuleBody | undefined {
    if (body.kind === 'match') {
      const match = this.matcher(body.match);
      return match === undefined ? undefined : { ...body, match };
    }
    if (body.kind === 'threshold') {
      if (body.match === null) return body;
      const match = this.matcher(body.match);
      return match === undefined ? undefined : { ...body, match };
    }
    let failed = false;
    const steps: StepAst[] = [];
    for (const step of body.steps) {
      const match = this.matcher(step.match);
      if (match === undefined) failed = true;
      else steps.push({ ...step, match });
    }
    let until: MatcherAst | null = null;
    if (body.until !== null) {
      const expanded = this.matcher(body.until);
      if (expanded === undefined) failed = true;
      else until = expanded;
    }
    return failed ? undefined : { ...body, steps, until };
  }

  private matcher(matcher: MatcherAst): MatcherAst | undefined {
    switch (matcher.kind) {
      case 'all':
      case 'any': {
        const items: MatcherAst[] = [];
        let failed = false;
        for (const item of matcher.items) {
          const expanded = this.matcher(item);
          if (expanded === undefined) failed = true;
          else items.push(expanded);
        }
        return failed ? undefined : { ...matcher, items };
      }
      case 'not': {
        const item = this.matcher(matcher.item);
        return item === undefined ? undefined : { ...matcher, item };
      }
      case 'macro':
        return this.macroRef(matcher.name, matcher.loc);
      case 'field': {
        const predicates: PredicateAst[] = [];
        let failed = false;
        for (const predicate of matcher.predicates) {
          const expanded = this.predicate(matcher, predicate);
          if (expanded === undefined) failed = true;
          else predicates.push(expanded);
        }
        return failed ? undefined : { ...matcher, predicates };
      }
    }
  }

  private macroRef(name: string, loc: SourceLoc): MatcherAst | undefined {
    if (!this.macros.has(name)) {
      this.diagnostics.error('unknown-macro', loc, this.element, `unknown macro "${name}"${didYouMean(name, this.macros.keys())}`);
      return undefined;
    }
    this.refs.add(`macro:${name}`);
    if (this.expanded.get(name) === EXPANDING) {
      const cycle = [...this.stack.slice(this.stack.indexOf(name)), name].join(' -> ');
      this.diagnostics.error('macro-cycle', loc, this.element, `macro cycle: ${cycle}`);
      return undefined;
    }
    return this.macro(name);
  }

  private predicate(matcher: Extract<MatcherAst, { kind: 'field' }>, predicate: PredicateAst): PredicateAst | undefined {
    if (predicate.op === 'from_tool_output') {
      if (predicate.source === null) return predicate;
      const source = this.matcher(predicate.source);
      return source === undefined ? undefined : { ...predicate, source };
    }
    if (!('set' in predicate)) return predicate;
    const set = this.valueSet(predicate.set, predicate.op === 'in' ? matcher : undefined);
    return set === undefined ? undefined : { ...predicate, set };
  }

  /** Inlines `$list` references; `in` on typed fields checks each list item against the field. */
  private valueSet(set: ValueSet, typedIn: Extract<MatcherAst, { kind: 'field' }> | undefined): ValueSet | undefined {
    if (set.lists.length === 0) return set;
    const values = [...set.values];
    let failed = false;
    for (const ref of set.lists) {
      const list = this.lists.get(ref.name);
      if (list === undefined) {
        this.diagnostics.error('unknown-list', ref.loc, this.element, `unknown list "${ref.name}"${didYouMean(ref.name, this.lists.keys())}`);
        failed = true;
        continue;
      }
      this.refs.add(`list:${ref.name}`);
      for (const item of list.items) {
        const problem = typedIn === undefined ? stringProblem(item) : itemProblem(typedIn, item);
        if (problem !== undefined) {
          this.diagnostics.error('bad-value', ref.loc, this.element, `list "${ref.name}" item ${JSON.stringify(item)}: ${problem}`);
          failed = true;
        } else {
          values.push(item);
        }
      }
    }
    return failed ? undefined : { values, lists: [] };
  }
}

function stringProblem(item: Scalar): string | undefined {
  return typeof item === 'string' ? undefined : 'expected a string';
}

function itemProblem(matcher: Extract<MatcherAst, { kind: 'field' }>, item: Scalar): string | undefined {
  const allowed = enumValues(matcher.field);
  if (allowed !== undefined && (typeof item !== 'string' || !allowed.includes(item))) {
    return `${matcher.field.text} is one of ${allowed.join(', ')}`;
  }
  const type = fieldType(matcher.field);
  if (type === 'number' && typeof item !== 'number') return `${matcher.field.text} is a number`;
  if (type === 'boolean' && typeof item !== 'boolean') return `${matcher.field.text} is true or false`;
  return undefined;
}
