import type { CallRecord, SessionView } from '../../session/session-view.js';
import type { Aggregate } from './ast.js';
import type { CallTest } from './compile-matcher.js';
import type { CompiledRule, RuleFinding, RuleProgram } from './compiled-rule.js';
import { fieldKey, fieldValue } from './fields.js';
import type { FieldRef } from './fields.js';
import { buildFinding, formatDuration } from './messages.js';

export interface ThresholdSpec {
  readonly filter: CallTest | null;
  readonly windowMs: number;
  readonly aggregate: Aggregate;
  readonly field: FieldRef | null;
  readonly op: 'gt' | 'gte';
  readonly threshold: number;
  readonly baseline: { readonly factor: number; readonly minHistoryMs: number } | null;
  readonly maxEvents: number;
}

/** Calls a threshold finding names (the latest ones, or the first of each distinct value). */
const FINDING_CALLS = 20;

/** A sliding window of one join key's calls, with running aggregates. */
export class WindowState {
  readonly times: number[] = [];
  readonly calls: CallRecord[] = [];
  readonly keys: string[] = [];
  readonly amounts: number[] = [];
  head = 0;
  /** Counts per distinct value (aggregate distinct only). */
  distinct: Map<string, number> | null = null;
  sum = 0;
  firstMs = Number.NaN;
  /** The latest start seen: the window ends there, whatever order the calls' spans came in. */
  latestMs = Number.NEGATIVE_INFINITY;
  /** Calls that left the window by time: the key's history before it, for rate baselines. */
  expired = 0;
  firing = false;
  dropped = 0;

  get size(): number {
    return this.times.length - this.head;
  }
}

/**
 * Sigma-style correlation over a sliding window: event count, distinct values of a field, sum of a
 * numeric field, rate (optionally against the key's own earlier rate). Fires when the condition becomes
 * true, then re-arms once it is false again.
 */
export class ThresholdProgram implements RuleProgram<WindowState> {
  private rule!: CompiledRule;

  constructor(private readonly spec: ThresholdSpec) {}

  bind(rule: CompiledRule): void {
    this.rule = rule;
  }

  createKeyState(): WindowState {
    return new WindowState();
  }

  takeDropped(state: WindowState): number {
    const dropped = state.dropped;
    state.dropped = 0;
    return dropped;
  }

  end(): void {}

  observe(call: CallRecord, session: SessionView, key: string, state: WindowState, out: RuleFinding[]): void {
    const spec = this.spec;
    if (spec.filter !== null && !spec.filter(call, session)) return;
    let valueKey = '';
    let amount = 0;
    if (spec.aggregate === 'distinct') {
      const found = fieldKey(spec.field!, call, session);
      if (found === undefined) return;
      valueKey = found;
    } else if (spec.aggregate === 'sum') {
      amount = toNumber(fieldValue(spec.field!, call, session));
      if (!Number.isFinite(amount)) return;
    }
    const now = call.event.startTimeMs;
    if (Number.isNaN(state.firstMs) || now < state.firstMs) state.firstMs = now;
    // State shared beyond a session sees calls as their spans arrive: the window ends at the latest start.
    state.latestMs = Math.max(state.latestMs, now);
    const windowStart = state.latestMs - spec.windowMs;
    while (state.head < state.times.length && state.times[state.head]! <= windowStart) {
      this.removeHead(state);
      state.expired++;
    }
    if (now <= windowStart) {
      // A late call already outside the window is part of the key's history only.
      state.expired++;
      return;
    }
    insertByTime(state, now, call, valueKey, amount);
    if (spec.aggregate === 'distinct') {
      state.distinct ??= new Map();
      state.distinct.set(valueKey, (state.distinct.get(valueKey) ?? 0) + 1);
    }
    state.sum += amount;
    if (state.size > spec.maxEvents) {
      this.removeHead(state);
      state.dropped++;
    }
    if (state.head > 256 && state.head * 2 > state.times.length) compactWindow(state);

    const value = this.value(state);
    let holds = spec.op === 'gt' ? value > spec.threshold : value >= spec.threshold;
    let ratio = 0;
    if (holds && spec.baseline !== null) {
      const historyMs = windowStart - state.firstMs;
      if (historyMs < spec.baseline.minHistoryMs) {
        holds = false;
      } else {
        const usual = Math.max(state.expired, 1) / (historyMs / 1000);
        ratio = value / usual;
        holds = ratio >= spec.baseline.factor;
      }
    }
    if (holds && !state.firing) out.push(this.finding(state, value, ratio, call, session, key));
    state.firing = holds;
  }

  private value(state: WindowState): number {
    switch (this.spec.aggregate) {
      case 'count':
        return state.size;
      case 'distinct':
        return state.distinct?.size ?? 0;
      case 'sum':
        return state.sum;
      case 'rate':
        return state.size / (this.spec.windowMs / 1000);
    }
  }

  private removeHead(state: WindowState): void {
    const i = state.head++;
    if (state.distinct !== null) {
      const valueKey = state.keys[i]!;
      const count = (state.distinct.get(valueKey) ?? 1) - 1;
      if (count <= 0) state.distinct.delete(valueKey);
      else state.distinct.set(valueKey, count);
    }
    state.sum -= state.amounts[i]!;
    // Release the call for the garbage collector; compaction removes the slot later.
    (state.calls as (CallRecord | undefined)[])[i] = undefined;
  }

  private finding(
    state: WindowState,
    value: number,
    ratio: number,
    call: CallRecord,
    session: SessionView,
    key: string,
  ): RuleFinding {
    const spec = this.spec;
    const calls: CallRecord[] = [];
    let values: string[] | undefined;
    if (spec.aggregate === 'distinct') {
      values = [];
      const seen = new Set<string>();
      for (let i = state.head; i < state.times.length && calls.length < FINDING_CALLS; i++) {
        const valueKey = state.keys[i]!;
        if (seen.has(valueKey)) continue;
        seen.add(valueKey);
        values.push(valueKey);
        calls.push(state.calls[i]!);
      }
    } else {
      for (let i = Math.max(state.head, state.times.length - FINDING_CALLS); i < state.times.length; i++) {
        calls.push(state.calls[i]!);
      }
    }
    const window = formatDuration(spec.windowMs);
    let detail: string;
    switch (spec.aggregate) {
      case 'count':
        detail = `(${value} calls within ${window})`;
        break;
      case 'distinct':
        detail = `(${value} distinct ${spec.field!.text} values within ${window}: ${values!.join(', ')})`;
        break;
      case 'sum':
        detail = `(${spec.field!.text} adds up to ${Number(value.toFixed(3))} within ${window})`;
        break;
      case 'rate':
        detail =
          spec.baseline === null
            ? `(${Number(value.toFixed(2))} calls/s over ${window})`
            : `(${Number(value.toFixed(2))} calls/s over ${window}, ${Number(ratio.toFixed(1))}x the usual rate)`;
        break;
    }
    return buildFinding(
      this.rule,
      { calls, completing: call, key, value, ...(values ? { values } : {}), spanMs: spec.windowMs, detail },
      session,
    );
  }
}

/** Adds a call to the window, keeping it in start-time order (a late call goes before later ones). */
function insertByTime(state: WindowState, time: number, call: CallRecord, valueKey: string, amount: number): void {
  let at = state.times.length;
  while (at > state.head && state.times[at - 1]! > time) at--;
  if (at === state.times.length) {
    state.times.push(time);
    state.calls.push(call);
    state.keys.push(valueKey);
    state.amounts.push(amount);
  } else {
    state.times.splice(at, 0, time);
    state.calls.splice(at, 0, call);
    state.keys.splice(at, 0, valueKey);
    state.amounts.splice(at, 0, amount);
  }
}

function compactWindow(state: WindowState): void {
  const head = state.head;
  state.times.splice(0, head);
  state.calls.splice(0, head);
  state.keys.splice(0, head);
  state.amounts.splice(0, head);
  state.head = 0;
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}
