import picomatch from 'picomatch';
import type { CallRecord, SessionView } from '../../session/session-view.js';
import {
  DomainAllowList,
  containsPii,
  containsSecret,
  hasEmailDomainOutside,
  hasUrlOutside,
} from './content-checks.js';
import { baseValue } from './fields.js';
import type { MatcherAst, PredicateAst, Scalar } from './ast.js';

/** A compiled matcher. Built once per rule set; evaluation allocates nothing. */
export type CallTest = (call: CallRecord, session: SessionView) => boolean;

/** A test on one value found at a field's path. */
type ValueTest = (value: unknown, call: CallRecord, session: SessionView) => boolean;
type LeafTest = (leaf: string | number | boolean, call: CallRecord, session: SessionView) => boolean;

/**
 * Which events a matcher can possibly match, for indexing: an event can match only if its tool is in
 * `tools` or matches one of `globs`, or its category, effect, sensitivity or cost is listed.
 * null means any event may match.
 */
export interface Route {
  readonly tools: ReadonlySet<string>;
  readonly globs: readonly ((tool: string) => boolean)[];
  readonly categories: ReadonlySet<string>;
  readonly effects: ReadonlySet<string>;
  /** Events with `toolClass.sensitive` set. */
  readonly sensitive: boolean;
  /** Events with a cost above 0. */
  readonly costly: boolean;
}

/** How far back `from_tool_output` looks for an earlier result holding the value. */
const PROVENANCE_LOOKBACK = 256;

export function compileMatcher(matcher: MatcherAst): CallTest {
  switch (matcher.kind) {
    case 'all': {
      const tests = matcher.items.map(compileMatcher);
      if (tests.length === 2) {
        const [a, b] = tests as [CallTest, CallTest];
        return (call, session) => a(call, session) && b(call, session);
      }
      return (call, session) => {
        for (const test of tests) if (!test(call, session)) return false;
        return true;
      };
    }
    case 'any': {
      const tests = matcher.items.map(compileMatcher);
      return (call, session) => {
        for (const test of tests) if (test(call, session)) return true;
        return false;
      };
    }
    case 'not': {
      const test = compileMatcher(matcher.item);
      return (call, session) => !test(call, session);
    }
    case 'macro':
      // The resolve stage inlines every macro; one left here is a bug in this engine, so match nothing.
      return () => false;
    case 'field':
      return compileField(matcher);
  }
}

/** The route of a matcher (see `Route`); null when it can match any tool. */
export function routeOf(matcher: MatcherAst): Route | null {
  switch (matcher.kind) {
    case 'field':
      return fieldRoute(matcher);
    case 'all': {
      let best: Route | null = null;
      for (const item of matcher.items) {
        const route = routeOf(item);
        if (route !== null && (best === null || routeCost(route) < routeCost(best))) best = route;
      }
      return best;
    }
    case 'any':
      return unionRoutes(matcher.items.map(routeOf));
    case 'not':
    case 'macro':
      return null;
  }
}

/** Does an event with these properties pass the route? */
export function routeAdmits(route: Route, tool: string, category: string, effect: string, sensitive: boolean, cost: number): boolean {
  if (route.tools.has(tool) || route.categories.has(category) || route.effects.has(effect)) return true;
  if ((route.sensitive && sensitive) || (route.costly && cost > 0)) return true;
  for (const glob of route.globs) if (glob(tool)) return true;
  return false;
}

const EMPTY = new Set<string>();

function route(parts: Partial<Route>): Route {
  return {
    tools: parts.tools ?? EMPTY,
    globs: parts.globs ?? [],
    categories: parts.categories ?? EMPTY,
    effects: parts.effects ?? EMPTY,
    sensitive: parts.sensitive ?? false,
    costly: parts.costly ?? false,
  };
}

function fieldRoute(matcher: Extract<MatcherAst, { kind: 'field' }>): Route | null {
  const { field, ignoreCase } = matcher;
  if (field.path.length > 0) return null;
  for (const predicate of matcher.predicates) {
    let values: readonly Scalar[] | undefined;
    if (predicate.op === 'equals') values = [predicate.value];
    else if (predicate.op === 'in') values = predicate.set.values;
    switch (field.base) {
      case 'tool':
        if (values !== undefined && !ignoreCase) return route({ tools: new Set(values.map(String)) });
        if (predicate.op === 'glob') {
          return route({ globs: [picomatch(predicate.set.values.map(String), { dot: true, nocase: ignoreCase })] });
        }
        break;
      case 'category':
        if (values !== undefined) return route({ categories: new Set(values.map(String)) });
        break;
      case 'effect':
        if (values !== undefined) return route({ effects: new Set(values.map(String)) });
        break;
      case 'sensitive':
        if (predicate.op === 'equals' && predicate.value === true) return route({ sensitive: true });
        break;
      case 'cost':
        if ((predicate.op === 'gt' && predicate.value >= 0) || (predicate.op === 'gte' && predicate.value > 0)) {
          return route({ costly: true });
        }
        break;
      default:
        break;
    }
  }
  return null;
}

export function unionRoutes(routes: readonly (Route | null)[]): Route | null {
  const tools = new Set<string>();
  const globs: ((tool: string) => boolean)[] = [];
  const categories = new Set<string>();
  const effects = new Set<string>();
  let sensitive = false;
  let costly = false;
  for (const each of routes) {
    if (each === null) return null;
    for (const tool of each.tools) tools.add(tool);
    globs.push(...each.globs);
    for (const category of each.categories) categories.add(category);
    for (const effect of each.effects) effects.add(effect);
    sensitive ||= each.sensitive;
    costly ||= each.costly;
  }
  return { tools, globs, categories, effects, sensitive, costly };
}

/** Rough share of calls a route lets through: exact tools are narrowest, effects widest. */
function routeCost(each: Route): number {
  return (
    each.tools.size +
    2 * each.globs.length +
    4 * each.categories.size +
    8 * each.effects.size +
    (each.sensitive ? 8 : 0) +
    (each.costly ? 4 : 0)
  );
}

function compileField(matcher: Extract<MatcherAst, { kind: 'field' }>): CallTest {
  const { field, ignoreCase } = matcher;
  const base = field.base;
  const path = field.path;
  const hasPath = path.length > 0;
  let exists: boolean | undefined;
  const tests: ValueTest[] = [];
  for (const predicate of matcher.predicates) {
    if (predicate.op === 'exists') exists = predicate.value;
    else tests.push(compilePredicate(predicate, ignoreCase));
  }
  const valueTest: ValueTest =
    tests.length === 1
      ? tests[0]!
      : (value, call, session) => {
          for (const test of tests) if (!test(value, call, session)) return false;
          return true;
        };
  const existsTest: ValueTest = (value) => value !== undefined && value !== null && value !== '';
  if (exists !== undefined) {
    const wanted = exists;
    const rest = tests.length === 0 ? null : valueTest;
    return (call, session) => {
      const root = baseValue(base, call, session, hasPath);
      const present = anyAt(root, path, 0, existsTest, call, session);
      if (present !== wanted) return false;
      return rest === null || anyAt(root, path, 0, rest, call, session);
    };
  }
  if (!hasPath) return (call, session) => valueTest(baseValue(base, call, session, false), call, session);
  return (call, session) => anyAt(baseValue(base, call, session, true), path, 0, valueTest, call, session);
}

/** True when `test` holds for some value at `path` under `root` (`*` fans out over keys or elements). */
function anyAt(
  root: unknown,
  path: readonly string[],
  from: number,
  test: ValueTest,
  call: CallRecord,
  session: SessionView,
): boolean {
  if (from === path.length) return test(root, call, session);
  if (root === null || typeof root !== 'object') return false;
  const segment = path[from]!;
  if (segment === '*') {
    if (Array.isArray(root)) {
      for (const item of root) if (anyAt(item, path, from + 1, test, call, session)) return true;
      return false;
    }
    for (const key in root) {
      if (anyAt((root as Record<string, unknown>)[key], path, from + 1, test, call, session)) return true;
    }
    return false;
  }
  if (!Object.prototype.hasOwnProperty.call(root, segment)) return false;
  return anyAt((root as Record<string, unknown>)[segment], path, from + 1, test, call, session);
}

/** Text tests on a structured value hold when they hold for one of its leaves. */
function anyLeaf(value: unknown, test: LeafTest, call: CallRecord, session: SessionView, depth: number): boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return test(value, call, session);
  }
  if (value === null || typeof value !== 'object' || depth > 32) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (anyLeaf(item, test, call, session, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (anyLeaf((value as Record<string, unknown>)[key], test, call, session, depth + 1)) return true;
  }
  return false;
}

function onLeaves(test: LeafTest): ValueTest {
  return (value, call, session) => anyLeaf(value, test, call, session, 0);
}

function text(leaf: string | number | boolean, ignoreCase: boolean): string {
  const value = typeof leaf === 'string' ? leaf : String(leaf);
  return ignoreCase ? value.toLowerCase() : value;
}

function numeric(leaf: string | number | boolean): number {
  if (typeof leaf === 'number') return leaf;
  if (typeof leaf === 'string' && leaf.trim() !== '') return Number(leaf);
  return Number.NaN;
}

function compilePredicate(predicate: Exclude<PredicateAst, { op: 'exists' }>, ignoreCase: boolean): ValueTest {
  switch (predicate.op) {
    case 'equals': {
      const wanted = text(predicate.value, ignoreCase);
      return onLeaves((leaf) => text(leaf, ignoreCase) === wanted);
    }
    case 'in': {
      const wanted = new Set(predicate.set.values.map((v) => text(v, ignoreCase)));
      return onLeaves((leaf) => wanted.has(text(leaf, ignoreCase)));
    }
    case 'glob': {
      const isMatch = picomatch(predicate.set.values.map(String), { dot: true, nocase: ignoreCase });
      return onLeaves((leaf) => typeof leaf === 'string' && isMatch(leaf));
    }
    case 'matches': {
      const regex = new RegExp(predicate.pattern, ignoreCase ? `${predicate.flags.replace('i', '')}i` : predicate.flags);
      return onLeaves((leaf) => regex.test(text(leaf, false)));
    }
    case 'contains':
    case 'starts_with':
    case 'ends_with': {
      const needles = predicate.set.values.map((v) => text(v, ignoreCase));
      const op = predicate.op;
      return onLeaves((leaf) => {
        const haystack = text(leaf, ignoreCase);
        for (const needle of needles) {
          if (op === 'contains' ? haystack.includes(needle) : op === 'starts_with' ? haystack.startsWith(needle) : haystack.endsWith(needle)) {
            return true;
          }
        }
        return false;
      });
    }
    case 'gt': {
      const bound = predicate.value;
      return onLeaves((leaf) => numeric(leaf) > bound);
    }
    case 'gte': {
      const bound = predicate.value;
      return onLeaves((leaf) => numeric(leaf) >= bound);
    }
    case 'lt': {
      const bound = predicate.value;
      return onLeaves((leaf) => numeric(leaf) < bound);
    }
    case 'lte': {
      const bound = predicate.value;
      return onLeaves((leaf) => numeric(leaf) <= bound);
    }
    case 'contains_pii': {
      const kinds = predicate.kinds;
      return onLeaves((leaf) => typeof leaf === 'string' && containsPii(leaf, kinds));
    }
    case 'contains_secret': {
      const kinds = predicate.kinds;
      return onLeaves((leaf) => typeof leaf === 'string' && containsSecret(leaf, kinds));
    }
    case 'url_outside': {
      const allowed = new DomainAllowList(predicate.set.values.map(String));
      return onLeaves((leaf) => typeof leaf === 'string' && hasUrlOutside(leaf, allowed));
    }
    case 'email_domain_outside': {
      const allowed = new DomainAllowList(predicate.set.values.map(String));
      return onLeaves((leaf) => typeof leaf === 'string' && hasEmailDomainOutside(leaf, allowed));
    }
    case 'from_tool_output': {
      const source = predicate.source === null ? null : compileMatcher(predicate.source);
      const minLength = predicate.minLength;
      return onLeaves((leaf, call, session) => typeof leaf === 'string' && steeredByToolOutput(leaf, minLength, source, call, session));
    }
  }
}

/**
 * Provenance: the value appears in an earlier call's result (one `source` matches, if given) but not in
 * the session's prompt. Without a prompt there is nothing to compare with, so it does not hold.
 */
function steeredByToolOutput(
  value: string,
  minLength: number,
  source: CallTest | null,
  call: CallRecord,
  session: SessionView,
): boolean {
  if (value.length < minLength || session.prompt === '' || session.prompt.includes(value)) return false;
  const calls = session.calls;
  const end = Math.min(call.index, calls.length);
  const start = Math.max(0, end - PROVENANCE_LOOKBACK);
  for (let i = end - 1; i >= start; i--) {
    const earlier = calls[i]!;
    if (earlier.event.result.includes(value) && (source === null || source(earlier, session))) return true;
  }
  return false;
}
