import { LRUCache } from 'lru-cache';
import type { CallRecord, SessionView } from '../../session/session-view.js';
import type { Detector, DetectorContext, SessionOfCall, SweptFinding } from '../detector.js';
import type { Finding } from '../finding.js';
import { RuleLoadError } from './diagnostics.js';
import type { CompiledRule, RuleFinding } from './compiled-rule.js';
import { fieldKey } from './fields.js';
import type { CompiledRuleSet } from './rule-set.js';
import type { RuleSetManager } from './rule-set-manager.js';

export interface RuleDetectorOptions {
  /** Join keys beyond the session (user, trace, fields) kept at once, least recently used evicted. */
  readonly maxKeys?: number;
  /** Group states (`by: [session, tool]` values) one session keeps across its rules. */
  readonly maxGroupsPerSession?: number;
  /** Span ids remembered per non-session key, so a session replay does not count a call twice. */
  readonly seenSpansPerKey?: number;
}

/** Counters for metrics: what the engine did and what its bounds dropped. */
export interface RuleEngineStats {
  /** Rule evaluations (a call visiting a rule). */
  evaluations: number;
  findings: number;
  /** Partial matches and window entries dropped by per-key caps. */
  droppedPartials: number;
  /** Group states a session could not create (maxGroupsPerSession). */
  droppedGroups: number;
  /** Non-session keys evicted from the LRU. */
  evictedKeys: number;
  /** Calls skipped because a non-session key had already seen their span (session replays). */
  replaySkips: number;
  /** Rules joined beyond the session, skipped in a what-if so shared state stays untouched. */
  dryRunSkips: number;
  /** Rule evaluations that threw (a bug); the call is skipped for that rule. */
  evaluationErrors: number;
  /** Sessions whose prompt-dependent rules ran at session end because the prompt came last. */
  deferredEvaluations: number;
}

/** Per-session state: the session-keyed state of every rule, by rule fingerprint and group key. */
export class RuleSessionState {
  version: number;
  readonly byRule = new Map<string, Map<string, unknown>>();
  groups = 0;
  /** A prompt-dependent rule was skipped because the prompt was not known yet. */
  deferred = false;

  constructor(version: number) {
    this.version = version;
  }
}

interface KeyEntry {
  readonly seen: Set<string>;
  readonly state: unknown;
  /** The rule the state is for, so a sweep can find its program. */
  readonly fingerprint: string;
}

export interface RuleDetector extends Detector<RuleSessionState> {
  readonly stats: Readonly<RuleEngineStats>;
  /** Non-session join keys held now. */
  readonly keyCount: number;
  sweep(nowMs: number, sessionOf: SessionOfCall): readonly SweptFinding[];
}

const NONE: readonly Finding[] = [];

/** The `rules` detector: evaluates the manager's current compiled set, one call at a time. */
export function createRuleDetector(manager: RuleSetManager, options: RuleDetectorOptions = {}): RuleDetector {
  return new RuleEngine(manager, options);
}

class RuleEngine implements RuleDetector {
  readonly id = 'rules';
  readonly stats: RuleEngineStats = {
    evaluations: 0,
    findings: 0,
    droppedPartials: 0,
    droppedGroups: 0,
    evictedKeys: 0,
    replaySkips: 0,
    dryRunSkips: 0,
    evaluationErrors: 0,
    deferredEvaluations: 0,
  };
  private readonly keys: LRUCache<string, KeyEntry>;
  private readonly maxGroups: number;
  private readonly seenPerKey: number;
  /** Findings of the call being observed; copied out only when there are some. */
  private readonly scratch: RuleFinding[] = [];

  constructor(
    private readonly manager: RuleSetManager,
    options: RuleDetectorOptions,
  ) {
    this.maxGroups = Math.max(1, options.maxGroupsPerSession ?? 4096);
    this.seenPerKey = Math.max(1, options.seenSpansPerKey ?? 256);
    this.keys = new LRUCache<string, KeyEntry>({
      max: Math.max(1, options.maxKeys ?? 10_000),
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.stats.evictedKeys++;
      },
    });
  }

  get keyCount(): number {
    return this.keys.size;
  }

  async preload(): Promise<void> {
    const outcome = this.manager.lastOutcome ?? (await this.manager.reload('preload'));
    if (!outcome.ok) throw new RuleLoadError(outcome.errors, outcome.report);
  }

  createState(): RuleSessionState {
    return new RuleSessionState(this.manager.current.version);
  }

  observe(ctx: DetectorContext<RuleSessionState>): readonly Finding[] {
    const set = this.manager.current;
    const { session, state, call } = ctx;
    if (state.version !== set.version) sync(state, set);
    const candidates = set.candidates(call.event);
    if (candidates.length === 0) return NONE;
    const out = this.scratch;
    out.length = 0;
    for (const rule of candidates) {
      if (rule.needsPrompt && session.prompt === '') {
        state.deferred = true;
        continue;
      }
      if (ctx.dryRun === true && !rule.bySession) {
        // A what-if must not count the proposed call in other sessions' shared state.
        this.stats.dryRunSkips++;
        continue;
      }
      if (ctx.replayed === true && !rule.bySession) {
        // Shared state counted the call when it first came; its findings are kept across the replay.
        this.stats.replaySkips++;
        continue;
      }
      this.evaluate(rule, call, session, state, out);
    }
    if (out.length === 0) return NONE;
    this.stats.findings += out.length;
    return out.slice();
  }

  observeEnd(session: SessionView, state: RuleSessionState): readonly Finding[] {
    const set = this.manager.current;
    if (state.version !== set.version) sync(state, set);
    const out: RuleFinding[] = [];
    try {
      for (const [fingerprint, groups] of state.byRule) {
        const rule = set.byFingerprint.get(fingerprint);
        if (rule === undefined) continue;
        for (const [key, keyState] of groups) rule.program.end(session, key, keyState, out);
      }
      if (state.deferred && session.prompt !== '') {
        state.deferred = false;
        this.stats.deferredEvaluations++;
        this.replayDeferred(set, session, out);
      }
    } catch {
      this.stats.evaluationErrors++;
    }
    this.stats.findings += out.length;
    return out;
  }

  /**
   * Settles, for keys beyond the session (user, trace, fields), the matches whose trailing missing
   * step did not come within maxspan: without a sweep they would wait for that key's next call.
   */
  sweep(nowMs: number, sessionOf: SessionOfCall): readonly SweptFinding[] {
    const set = this.manager.current;
    const out: SweptFinding[] = [];
    // forEach does not touch recency: a sweep must not keep idle keys alive.
    this.keys.forEach((entry, lruKey) => {
      const rule = set.byFingerprint.get(entry.fingerprint);
      if (rule?.program.expire === undefined) return;
      try {
        rule.program.expire(nowMs, lruKey.slice(entry.fingerprint.length + 1), entry.state, sessionOf, out);
        this.stats.droppedPartials += rule.program.takeDropped(entry.state);
      } catch {
        this.stats.evaluationErrors++;
      }
    });
    this.stats.findings += out.length;
    return out;
  }

  async shutdown(): Promise<void> {
    this.keys.clear();
  }

  private evaluate(
    rule: CompiledRule,
    call: CallRecord,
    session: SessionView,
    state: RuleSessionState,
    out: RuleFinding[],
  ): void {
    this.stats.evaluations++;
    try {
      if (rule.kind === 'match') {
        rule.program.observe(call, session, session.id, null, out);
        return;
      }
      const key = joinKey(rule, call, session);
      if (key === undefined) return;
      let keyState: unknown;
      if (rule.bySession) {
        keyState = this.sessionKeyState(rule, key, state);
        if (keyState === undefined) return;
      } else {
        const entry = this.keyEntry(rule, key);
        const spanId = call.event.spanId;
        if (entry.seen.has(spanId)) {
          this.stats.replaySkips++;
          return;
        }
        entry.seen.add(spanId);
        if (entry.seen.size > this.seenPerKey) entry.seen.delete(entry.seen.values().next().value!);
        keyState = entry.state;
      }
      rule.program.observe(call, session, key, keyState, out);
      this.stats.droppedPartials += rule.program.takeDropped(keyState);
    } catch {
      this.stats.evaluationErrors++;
    }
  }

  private sessionKeyState(rule: CompiledRule, key: string, state: RuleSessionState): unknown {
    let groups = state.byRule.get(rule.fingerprint);
    if (groups === undefined) {
      groups = new Map();
      state.byRule.set(rule.fingerprint, groups);
    }
    let keyState = groups.get(key);
    if (keyState === undefined) {
      if (state.groups >= this.maxGroups) {
        this.stats.droppedGroups++;
        return undefined;
      }
      keyState = rule.program.createKeyState();
      groups.set(key, keyState);
      state.groups++;
    }
    return keyState;
  }

  private keyEntry(rule: CompiledRule, key: string): KeyEntry {
    const lruKey = `${rule.fingerprint}\u0000${key}`;
    let entry = this.keys.get(lruKey);
    if (entry === undefined) {
      entry = { seen: new Set(), state: rule.program.createKeyState(), fingerprint: rule.fingerprint };
      this.keys.set(lruKey, entry);
    }
    return entry;
  }

  /** Runs the prompt-dependent rules over the whole session now that its prompt is known. */
  private replayDeferred(set: CompiledRuleSet, session: SessionView, out: RuleFinding[]): void {
    const deferred = set.rules.filter((rule) => rule.needsPrompt);
    if (deferred.length === 0) return;
    const replayState = new RuleSessionState(set.version);
    for (const call of session.calls) {
      const candidates = set.candidates(call.event);
      for (const rule of deferred) {
        if (candidates.includes(rule)) this.evaluate(rule, call, session, replayState, out);
      }
    }
    for (const [fingerprint, groups] of replayState.byRule) {
      const rule = set.byFingerprint.get(fingerprint);
      if (rule === undefined) continue;
      for (const [key, keyState] of groups) rule.program.end(session, key, keyState, out);
    }
  }
}

/** After a reload: keep the state of rules that did not change, drop the rest. */
function sync(state: RuleSessionState, set: CompiledRuleSet): void {
  for (const [fingerprint, groups] of state.byRule) {
    if (!set.byFingerprint.has(fingerprint)) {
      state.groups -= groups.size;
      state.byRule.delete(fingerprint);
    }
  }
  state.version = set.version;
}

/** The join key of a call for a rule: the session id, or the `by` field values; undefined when one is absent. */
function joinKey(rule: CompiledRule, call: CallRecord, session: SessionView): string | undefined {
  const fields = rule.keyFields;
  if (fields.length === 0) return session.id;
  if (fields.length === 1) return fieldKey(fields[0]!, call, session);
  let key = '';
  for (let i = 0; i < fields.length; i++) {
    const part = fieldKey(fields[i]!, call, session);
    if (part === undefined) return undefined;
    key = i === 0 ? part : `${key} | ${part}`;
  }
  return key;
}
