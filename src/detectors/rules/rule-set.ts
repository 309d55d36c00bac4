import type { ToolCallEvent } from '../../normalize/events.js';
import { routeAdmits } from './compile-matcher.js';
import type { CompiledRule } from './compiled-rule.js';

export interface RuleSetSummary {
  readonly files: readonly string[];
  /** Enabled rules, by kind. */
  readonly rules: number;
  readonly byKind: Readonly<Record<CompiledRule['kind'], number>>;
  readonly disabled: number;
  readonly lists: number;
  readonly macros: number;
  /** Rules every call visits (their matchers name no tool or category). */
  readonly unindexed: number;
}

/** Candidate lists cached per (tool, category); beyond this many pairs they are computed per call. */
const CANDIDATE_CACHE = 10_000;
const NONE: readonly CompiledRule[] = [];

let versions = 0;

/**
 * Stage 5 (index): an immutable compiled rule set, indexed by tool name and category so each call
 * visits only the rules that can match it (as Falco indexes rules by event type).
 */
export class CompiledRuleSet {
  readonly version = ++versions;
  /** Rules by fingerprint: how per-session state finds its rule again after a reload. */
  readonly byFingerprint: ReadonlyMap<string, CompiledRule>;
  private readonly cache = new Map<string, readonly CompiledRule[]>();

  constructor(
    readonly rules: readonly CompiledRule[],
    readonly summary: RuleSetSummary,
  ) {
    this.byFingerprint = new Map(rules.map((rule) => [rule.fingerprint, rule]));
  }

  static empty(): CompiledRuleSet {
    return new CompiledRuleSet([], {
      files: [],
      rules: 0,
      byKind: { match: 0, sequence: 0, threshold: 0 },
      disabled: 0,
      lists: 0,
      macros: 0,
      unindexed: 0,
    });
  }

  /** The rules a call can match, in rule order; computed once per tool class and cached. */
  candidates(event: ToolCallEvent): readonly CompiledRule[] {
    if (this.rules.length === 0) return NONE;
    const toolClass = event.toolClass;
    const costly = toolClass.cost > 0;
    const cacheKey = `${event.tool}\u0000${toolClass.category}\u0000${toolClass.effect}\u0000${toolClass.sensitive ? 1 : 0}${costly ? 1 : 0}`;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const found: CompiledRule[] = [];
    for (const rule of this.rules) {
      const route = rule.route;
      if (route === null || routeAdmits(route, event.tool, toolClass.category, toolClass.effect, toolClass.sensitive, toolClass.cost)) {
        found.push(rule);
      }
    }
    const result = found.length === 0 ? NONE : found;
    if (this.cache.size < CANDIDATE_CACHE) this.cache.set(cacheKey, result);
    return result;
  }
}
