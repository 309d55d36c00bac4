import type { ToolCallEvent } from '../../normalize/events.js';
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
  private readonly byTool = new Map<string, CompiledRule[]>();
  private readonly byCategory = new Map<string, CompiledRule[]>();
  private readonly unindexed: CompiledRule[] = [];
  private readonly cache = new Map<string, readonly CompiledRule[]>();

  constructor(
    readonly rules: readonly CompiledRule[],
    readonly summary: RuleSetSummary,
  ) {
    this.byFingerprint = new Map(rules.map((rule) => [rule.fingerprint, rule]));
    for (const rule of rules) {
      if (rule.route === null) {
        this.unindexed.push(rule);
        continue;
      }
      for (const tool of rule.route.tools) push(this.byTool, tool, rule);
      for (const category of rule.route.categories) push(this.byCategory, category, rule);
    }
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

  /** The rules a call can match, in rule order. */
  candidates(event: ToolCallEvent): readonly CompiledRule[] {
    if (this.rules.length === 0) return NONE;
    const cacheKey = `${event.tool}\u0000${event.toolClass.category}`;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const found = merge(this.byTool.get(event.tool), this.byCategory.get(event.toolClass.category), this.unindexed);
    if (this.cache.size < CANDIDATE_CACHE) this.cache.set(cacheKey, found);
    return found;
  }
}

function push(map: Map<string, CompiledRule[]>, key: string, rule: CompiledRule): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [rule]);
  else if (list[list.length - 1] !== rule) list.push(rule);
}

function merge(...lists: (readonly CompiledRule[] | undefined)[]): readonly CompiledRule[] {
  const present = lists.filter((list): list is readonly CompiledRule[] => list !== undefined && list.length > 0);
  if (present.length === 0) return NONE;
  if (present.length === 1) return present[0]!;
  const unique = new Set<CompiledRule>();
  for (const list of present) for (const rule of list) unique.add(rule);
  return [...unique].sort((a, b) => a.ordinal - b.ordinal);
}
