import { createHash } from 'node:crypto';
import { DiagnosticBag, sortDiagnostics } from './diagnostics.js';
import type { ElementRef, RuleDiagnostic } from './diagnostics.js';
import { compileMatcher, routeOf, unionRoutes } from './compile-matcher.js';
import type { CallTest, Route } from './compile-matcher.js';
import { SEVERITY_SCORES } from './compiled-rule.js';
import type { CompiledRule, RuleProgram } from './compiled-rule.js';
import { EventProgram } from './event-program.js';
import { resolveRuleFiles } from './resolve.js';
import type { ResolvedRule } from './resolve.js';
import { CompiledRuleSet } from './rule-set.js';
import { SequenceProgram } from './sequence-program.js';
import type { CompiledFlow, CompiledStep } from './sequence-program.js';
import { readSource } from './source-tree.js';
import { ThresholdProgram } from './threshold-program.js';
import { validateRuleFile } from './validate.js';
import type { ExceptionAst, MatcherAst, RuleFileAst, SequenceAst, ThresholdAst } from './ast.js';
import type { FieldRef } from './fields.js';

/** One rule file's text and the name errors should carry. */
export interface RuleSource {
  readonly file: string;
  readonly text: string;
}

export interface CompileResult {
  /** The new rule set, or null when any error was found (the caller keeps its current set). */
  readonly ruleSet: CompiledRuleSet | null;
  readonly errors: readonly RuleDiagnostic[];
  readonly warnings: readonly RuleDiagnostic[];
}

/** Partial matches kept per join key and sequence rule unless the rule says otherwise. */
export const DEFAULT_MAX_PENDING = 64;
/** Window entries kept per join key and threshold rule unless the rule says otherwise. */
export const DEFAULT_MAX_EVENTS = 1024;

/** All stages: read, validate, resolve (overrides, lists, macros), compile, index. */
export function compileRuleSources(sources: readonly RuleSource[]): CompileResult {
  const diagnostics = new DiagnosticBag();
  const files: RuleFileAst[] = [];
  for (const source of sources) {
    const tree = readSource(source.file, source.text, diagnostics);
    if (tree !== undefined) files.push(validateRuleFile(source.file, tree, diagnostics));
  }
  const resolved = resolveRuleFiles(files, diagnostics);
  const rules: CompiledRule[] = [];
  let disabled = 0;
  for (const rule of resolved.rules) {
    const compiled = compileRule(rule, rules.length, diagnostics);
    if (compiled === undefined) continue;
    if (rule.enabled) rules.push(compiled);
    else disabled++;
  }
  const all = sortDiagnostics(diagnostics.items);
  const errors = all.filter((d) => d.level === 'error');
  const warnings = all.filter((d) => d.level === 'warning');
  if (errors.length > 0) return { ruleSet: null, errors, warnings };
  const byKind = { match: 0, sequence: 0, threshold: 0 };
  for (const rule of rules) byKind[rule.kind]++;
  const ruleSet = new CompiledRuleSet(rules, {
    files: sources.map((s) => s.file),
    rules: rules.length,
    byKind,
    disabled,
    lists: resolved.listCount,
    macros: resolved.macroCount,
    unindexed: rules.filter((r) => r.route === null).length,
  });
  return { ruleSet, errors, warnings };
}

function not(test: CallTest): CallTest {
  return (call, session) => !test(call, session);
}

function both(a: CallTest, b: CallTest): CallTest {
  return (call, session) => a(call, session) && b(call, session);
}

function anyOf(tests: readonly CallTest[]): CallTest {
  if (tests.length === 1) return tests[0]!;
  return (call, session) => {
    for (const test of tests) if (test(call, session)) return true;
    return false;
  };
}

function withExceptions(test: CallTest, exceptions: readonly CallTest[]): CallTest {
  return exceptions.length === 0 ? test : both(test, not(anyOf(exceptions)));
}

function isSession(field: FieldRef): boolean {
  return field.base === 'session' && field.path.length === 0;
}

/** Stage 4 (compile): one resolved rule to its program, route and key. */
function compileRule(rule: ResolvedRule, ordinal: number, diagnostics: DiagnosticBag): CompiledRule | undefined {
  const element: ElementRef = { kind: 'rule', id: rule.id };
  const errorsBefore = diagnostics.errorCount;
  const body = rule.body;
  const by = body.kind === 'match' ? [] : body.by;
  const bySession = body.kind === 'match' || by.some(isSession);
  const keyFields = by.filter((field) => !isSession(field));

  const provenance = findProvenance([
    ...(body.kind === 'sequence' ? [...body.steps.map((s) => s.match), ...(body.until ? [body.until] : [])] : []),
    ...(body.kind !== 'sequence' && body.match !== null ? [body.match] : []),
    ...rule.exceptions.map((e) => e.match),
  ]);
  if (provenance !== undefined && !bySession) {
    diagnostics.error(
      'provenance-needs-session',
      provenance.loc,
      element,
      'from_tool_output compares with the session prompt, so the rule must be keyed by session (add session to `by`)',
    );
  }

  let program: RuleProgram & { bind(rule: CompiledRule): void };
  let route: Route | null;
  if (body.kind === 'match') {
    const exceptions = exceptionTests(rule.exceptions, '', element, diagnostics, null);
    program = new EventProgram(withExceptions(compileMatcher(body.match), exceptions));
    route = routeOf(body.match);
  } else if (body.kind === 'threshold') {
    const exceptions = exceptionTests(rule.exceptions, '', element, diagnostics, null);
    const compiled = compileThreshold(body, exceptions, element, diagnostics);
    if (compiled === undefined) return undefined;
    program = compiled;
    route = body.match === null ? null : routeOf(body.match);
  } else {
    const compiled = compileSequence(rule, body, bySession, element, diagnostics);
    if (compiled === undefined) return undefined;
    program = compiled.program;
    route = compiled.route;
  }
  if (diagnostics.errorCount > errorsBefore) return undefined;

  const compiled: CompiledRule = {
    ordinal,
    id: rule.id,
    description: rule.description,
    severity: rule.severity,
    score: rule.score ?? SEVERITY_SCORES[rule.severity],
    tags: rule.tags,
    message: rule.message,
    kind: body.kind,
    fingerprint: fingerprint(rule),
    bySession,
    keyFields,
    needsPrompt: provenance !== undefined,
    route,
    program,
    byText: body.kind === 'match' ? 'session' : by.map((f) => f.text).join(', '),
  };
  program.bind(compiled);
  return compiled;
}

function exceptionTests(
  exceptions: readonly ExceptionAst[],
  step: string,
  element: ElementRef,
  diagnostics: DiagnosticBag,
  stepNames: readonly string[] | null,
): CallTest[] {
  const tests: CallTest[] = [];
  for (const exception of exceptions) {
    if (exception.step !== '' && stepNames === null) {
      if (step === '') {
        diagnostics.error('bad-exception', exception.loc, element, `exception "${exception.name}" names step "${exception.step}", but only sequence rules have steps`);
      }
      continue;
    }
    if (exception.step !== '' && stepNames !== null && !stepNames.includes(exception.step)) {
      continue;
    }
    if (exception.step === '' || exception.step === step) tests.push(compileMatcher(exception.match));
  }
  return tests;
}

function compileThreshold(
  body: ThresholdAst,
  exceptions: readonly CallTest[],
  element: ElementRef,
  diagnostics: DiagnosticBag,
): ThresholdProgram | undefined {
  const { op, value } = body.condition;
  const needed = body.aggregate !== 'count' ? 0 : op === 'gte' ? Math.ceil(value) : Math.floor(value) + 1;
  if (body.maxEvents !== null && body.maxEvents < needed) {
    diagnostics.error(
      'bad-threshold',
      body.condition.loc,
      element,
      `max_events (${body.maxEvents}) is below the count this condition needs (${needed}); the rule could never fire`,
    );
    return undefined;
  }
  const rateNeeded = body.aggregate === 'rate' ? Math.ceil((body.condition.value * body.windowMs) / 1000) + 1 : 0;
  const match = body.match === null ? null : compileMatcher(body.match);
  const filter = match === null ? (exceptions.length === 0 ? null : not(anyOf(exceptions))) : withExceptions(match, exceptions);
  return new ThresholdProgram({
    filter,
    windowMs: body.windowMs,
    aggregate: body.aggregate,
    field: body.field,
    op: body.condition.op,
    threshold: body.condition.value,
    baseline: body.baseline,
    maxEvents: body.maxEvents ?? Math.max(DEFAULT_MAX_EVENTS, needed, rateNeeded),
  });
}

function compileSequence(
  rule: ResolvedRule,
  body: SequenceAst,
  bySession: boolean,
  element: ElementRef,
  diagnostics: DiagnosticBag,
): { program: SequenceProgram; route: Route | null } | undefined {
  const positives = body.steps.filter((s) => s.kind === 'step');
  const names = positives.map((s) => s.name);
  for (const exception of rule.exceptions) {
    if (exception.step !== '' && !names.includes(exception.step)) {
      diagnostics.error('bad-exception', exception.loc, element, `exception "${exception.name}" names step "${exception.step}", which this sequence does not have (steps: ${names.join(', ')})`);
    }
  }
  const steps: CompiledStep[] = [];
  const routes: (Route | null)[] = [];
  let missing: CallTest[] = [];
  for (const step of body.steps) {
    routes.push(routeOf(step.match));
    if (step.kind === 'missing') {
      missing.push(compileMatcher(step.match));
      continue;
    }
    if (step.immediate && steps.length === 0) {
      diagnostics.error('bad-sequence', step.loc, element, '`next: immediately` needs a previous step; the first step has none');
    }
    const flows: CompiledFlow[] = step.flow.map((flow) => ({
      field: flow.field,
      op: flow.op,
      fromStep: names.indexOf(flow.fromStep),
      fromField: flow.fromField,
      minLength: flow.minLength,
    }));
    const exceptions = exceptionTests(rule.exceptions, step.name, element, diagnostics, names);
    steps.push({
      name: step.name,
      test: withExceptions(compileMatcher(step.match), exceptions),
      runs: step.runs,
      immediate: step.immediate,
      flows,
      missingBefore: missing.length === 0 ? null : anyOf(missing),
    });
    missing = [];
  }
  if (steps.length === 0) return undefined;
  const missingAfter = missing.length === 0 ? null : anyOf(missing);
  if (body.until !== null) routes.push(routeOf(body.until));
  if (!bySession && body.maxspanMs === null) {
    if (missingAfter !== null) {
      diagnostics.error('bad-sequence', body.loc, element, 'a trailing missing step needs `maxspan` when the rule is not keyed by session (there is no session end to wait for)');
    } else {
      diagnostics.warning('unbounded-sequence', body.loc, element, 'no `maxspan` on a sequence not keyed by session: partial matches expire only through the max_pending cap');
    }
  }
  if (positives.length === 1 && positives[0]!.runs === 1 && body.steps.length === 1 && body.until === null) {
    diagnostics.warning('trivial-sequence', body.loc, element, 'a sequence of one step matches like `match:`; use `match:` for single-call rules');
  }
  const program = new SequenceProgram({
    steps,
    missingAfter,
    until: body.until === null ? null : compileMatcher(body.until),
    maxspanMs: body.maxspanMs ?? Number.POSITIVE_INFINITY,
    maxPending: body.maxPending ?? DEFAULT_MAX_PENDING,
  });
  return { program, route: unionRoutes(routes) };
}

/** The first `from_tool_output` predicate among matchers, if any. */
function findProvenance(matchers: readonly MatcherAst[]): { loc: MatcherAst['loc'] } | undefined {
  for (const matcher of matchers) {
    const found = provenanceIn(matcher);
    if (found !== undefined) return found;
  }
  return undefined;
}

function provenanceIn(matcher: MatcherAst): { loc: MatcherAst['loc'] } | undefined {
  switch (matcher.kind) {
    case 'all':
    case 'any':
      return findProvenance(matcher.items);
    case 'not':
      return provenanceIn(matcher.item);
    case 'macro':
      return undefined;
    case 'field':
      for (const predicate of matcher.predicates) if (predicate.op === 'from_tool_output') return predicate;
      return undefined;
  }
}

/** What a rule's state depends on (its id, body and exceptions), hashed; locations left out. */
function fingerprint(rule: ResolvedRule): string {
  const json = JSON.stringify({ id: rule.id, body: rule.body, exceptions: rule.exceptions }, (key, value: unknown) =>
    key === 'loc' ? undefined : value,
  );
  return createHash('sha1').update(json).digest('hex').slice(0, 16);
}
