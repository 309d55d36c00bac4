import { positionInSession } from '../../session/session-view.js';
import type { CallRecord, SessionView } from '../../session/session-view.js';
import type { CallTest } from './compile-matcher.js';
import type { SessionOfCall, SweptFinding } from '../detector.js';
import type { CompiledRule, RuleFinding, RuleProgram } from './compiled-rule.js';
import { fieldValue } from './fields.js';
import type { FieldRef } from './fields.js';
import type { FlowOp } from './ast.js';
import { buildFinding, formatDuration } from './messages.js';

export interface CompiledFlow {
  readonly field: FieldRef;
  readonly op: FlowOp;
  /** Index of the earlier positive step. */
  readonly fromStep: number;
  readonly fromField: FieldRef;
  readonly minLength: number;
}

export interface CompiledStep {
  readonly name: string;
  readonly test: CallTest;
  readonly runs: number;
  readonly immediate: boolean;
  readonly flows: readonly CompiledFlow[];
  /** A `missing` step just before this one (for the first step: before the sequence starts). */
  readonly missingBefore: CallTest | null;
}

export interface SequenceSpec {
  readonly steps: readonly CompiledStep[];
  /** A `missing` step after the last one: the match is confirmed when maxspan (or the session) ends. */
  readonly missingAfter: CallTest | null;
  readonly until: CallTest | null;
  /** Infinity when the rule gives no maxspan. */
  readonly maxspanMs: number;
  readonly maxPending: number;
}

/** A partial match: which step it waits for, and the calls that got it there. Immutable: advancing copies. */
interface Partial {
  readonly stage: number;
  /** Runs of `stage` matched so far. */
  readonly runs: number;
  readonly calls: readonly CallRecord[];
  /** The positive step each call matched. */
  readonly stepOf: readonly number[];
  readonly firstMs: number;
  /** Span id of the first call: partials grown from the same start are one candidate match. */
  readonly root: string;
  dead: boolean;
}

interface Awaiting {
  readonly partial: Partial;
  readonly deadlineMs: number;
}

/** Per join key: partial matches (bounded), matches waiting out a trailing missing step. */
export class SequenceState {
  partials: Partial[] = [];
  awaiting: Awaiting[] = [];
  lastLeadingMissingMs = Number.NEGATIVE_INFINITY;
  dropped = 0;
  /** State shared beyond a session: matches confirmed on another session's call, for the next sweep to deliver. */
  confirmedElsewhere: Partial[] = [];
}

const UNKNOWN = -1;

/**
 * Sequence rules, evaluated one call at a time (EQL `sequence` semantics with Invariant-style flows).
 * A call may extend any partial match (partials are copied on advance, so a later call can still use the
 * earlier state), partials that reach the same step with the same start are deduplicated keeping the
 * newest, and when a match completes every partial from the same start is consumed.
 */
export class SequenceProgram implements RuleProgram<SequenceState> {
  private rule!: CompiledRule;
  private readonly stepMemo: Int8Array;
  private readonly missingMemo: Int8Array;
  private readonly hasFlows: boolean;
  /** Partials advanced by the current call, inserted once every existing partial has seen it. */
  private readonly advanced: Partial[] = [];

  constructor(private readonly spec: SequenceSpec) {
    this.stepMemo = new Int8Array(spec.steps.length);
    this.missingMemo = new Int8Array(spec.steps.length);
    this.hasFlows = spec.steps.some((step) => step.flows.length > 0);
  }

  bind(rule: CompiledRule): void {
    this.rule = rule;
  }

  createKeyState(): SequenceState {
    return new SequenceState();
  }

  takeDropped(state: SequenceState): number {
    const dropped = state.dropped;
    state.dropped = 0;
    return dropped;
  }

  observe(call: CallRecord, session: SessionView, key: string, state: SequenceState, out: RuleFinding[]): void {
    const spec = this.spec;
    const steps = spec.steps;
    const now = call.event.startTimeMs;
    this.stepMemo.fill(UNKNOWN);
    this.missingMemo.fill(UNKNOWN);

    if (spec.maxspanMs !== Number.POSITIVE_INFINITY && state.partials.length > 0) {
      for (const partial of state.partials) if (now - partial.firstMs > spec.maxspanMs) partial.dead = true;
    }
    if (state.awaiting.length > 0) this.confirmDue(now, session, key, state, out);

    if (spec.until !== null && spec.until(call, session)) {
      state.partials.length = 0;
      state.awaiting.length = 0;
      return;
    }
    if (spec.missingAfter !== null && state.awaiting.length > 0 && spec.missingAfter(call, session)) {
      state.awaiting.length = 0;
    }
    for (const partial of state.partials) {
      if (!partial.dead && partial.runs === 0 && partial.stage > 0 && this.missingAt(partial.stage, call, session)) {
        partial.dead = true;
      }
    }
    const leadingMissing = steps[0]!.missingBefore !== null && this.missingAt(0, call, session);
    if (leadingMissing) state.lastLeadingMissingMs = now;

    let completed: Partial | undefined;
    const existing = state.partials.length;
    for (let i = 0; i < existing; i++) {
      const partial = state.partials[i]!;
      if (partial.dead) continue;
      const step = steps[partial.stage]!;
      const last = partial.calls[partial.calls.length - 1]!;
      // State kept beyond a session sees calls as they arrive: one that started before the last step
      // cannot follow it, whatever order its span came in.
      if (call.event.startTimeMs < last.event.startTimeMs) continue;
      if (step.immediate && !(last.event.sessionId === call.event.sessionId && call.index === last.index + 1)) {
        // Nothing can follow "immediately" once another call of that session came in between.
        if (last.event.sessionId === call.event.sessionId && call.index > last.index + 1) partial.dead = true;
        continue;
      }
      if (!this.stepMatches(partial.stage, call, session)) continue;
      if (step.flows.length > 0 && !flowsHold(step.flows, partial, call, session)) continue;
      const next = advance(partial, call, steps);
      if (next.stage === steps.length) completed ??= next;
      else this.advanced.push(next);
    }
    for (const next of this.advanced) this.insert(state, next);
    this.advanced.length = 0;
    if (this.stepMatches(0, call, session) && !leadingMissing && this.leadingClear(state, now)) {
      const start: Partial = {
        stage: 0,
        runs: 0,
        calls: [],
        stepOf: [],
        firstMs: now,
        root: call.event.spanId,
        dead: false,
      };
      const next = advance(start, call, steps);
      if (next.stage === steps.length) completed ??= next;
      else this.insert(state, next);
    }
    if (completed !== undefined) {
      const root = completed.root;
      for (const partial of state.partials) if (partial.root === root) partial.dead = true;
      if (spec.missingAfter === null) {
        out.push(this.finding(completed, call, session, key));
      } else {
        state.awaiting.push({ partial: completed, deadlineMs: completed.firstMs + spec.maxspanMs });
        if (state.awaiting.length > spec.maxPending) {
          state.awaiting.shift();
          state.dropped++;
        }
      }
    }
    compact(state);
    while (state.partials.length > spec.maxPending) {
      state.partials.shift();
      state.dropped++;
    }
  }

  end(session: SessionView, key: string, state: SequenceState, out: RuleFinding[]): void {
    for (const waiting of state.awaiting) out.push(this.finding(waiting.partial, null, session, key));
    state.awaiting.length = 0;
  }

  expire(nowMs: number, key: string, state: SequenceState, sessionOf: SessionOfCall, out: SweptFinding[]): void {
    if (state.awaiting.length === 0 && state.confirmedElsewhere.length === 0) return;
    const due = [...state.confirmedElsewhere, ...takeDue(state, nowMs).map((waiting) => waiting.partial)];
    state.confirmedElsewhere.length = 0;
    for (const partial of due) {
      const session = sessionOf(partial.calls[partial.calls.length - 1]!.event);
      if (session !== undefined) out.push({ sessionId: session.id, finding: this.finding(partial, null, session, key) });
      else state.dropped++;
    }
  }

  /**
   * Matches whose trailing missing step did not come by this call's start. In state shared beyond a
   * session the call may be another session's: the match goes to the session of its own last call, on
   * the next sweep.
   */
  private confirmDue(now: number, session: SessionView, key: string, state: SequenceState, out: RuleFinding[]): void {
    for (const { partial } of takeDue(state, now)) {
      if (this.rule.bySession || positionInSession(session, partial.calls[partial.calls.length - 1]!) >= 0) {
        out.push(this.finding(partial, null, session, key));
        continue;
      }
      state.confirmedElsewhere.push(partial);
      if (state.confirmedElsewhere.length > this.spec.maxPending) {
        state.confirmedElsewhere.shift();
        state.dropped++;
      }
    }
  }

  private leadingClear(state: SequenceState, now: number): boolean {
    if (this.spec.steps[0]!.missingBefore === null) return true;
    if (this.spec.maxspanMs === Number.POSITIVE_INFINITY) return state.lastLeadingMissingMs === Number.NEGATIVE_INFINITY;
    return now - state.lastLeadingMissingMs > this.spec.maxspanMs;
  }

  private stepMatches(index: number, call: CallRecord, session: SessionView): boolean {
    let memo = this.stepMemo[index]!;
    if (memo === UNKNOWN) {
      memo = this.spec.steps[index]!.test(call, session) ? 1 : 0;
      this.stepMemo[index] = memo;
    }
    return memo === 1;
  }

  private missingAt(index: number, call: CallRecord, session: SessionView): boolean {
    const test = this.spec.steps[index]!.missingBefore;
    if (test === null) return false;
    let memo = this.missingMemo[index]!;
    if (memo === UNKNOWN) {
      memo = test(call, session) ? 1 : 0;
      this.missingMemo[index] = memo;
    }
    return memo === 1;
  }

  /** Keeps one partial per (step, run count, start when flows need it): the newest. */
  private insert(state: SequenceState, next: Partial): void {
    for (let i = 0; i < state.partials.length; i++) {
      const other = state.partials[i]!;
      if (
        !other.dead &&
        other.stage === next.stage &&
        other.runs === next.runs &&
        (!this.hasFlows || other.root === next.root)
      ) {
        other.dead = true;
        break;
      }
    }
    state.partials.push(next);
  }

  private finding(partial: Partial, completing: CallRecord | null, session: SessionView, key: string): RuleFinding {
    const first = partial.calls[0]!;
    const last = partial.calls[partial.calls.length - 1]!;
    const spanMs = last.event.startTimeMs - first.event.startTimeMs;
    const detail = this.spec.missingAfter === null ? `within ${formatDuration(spanMs)}` : `within ${formatDuration(spanMs)}, not followed by the missing step`;
    return buildFinding(this.rule, { calls: partial.calls, completing, key, spanMs, detail }, session);
  }
}

/** Removes and returns the matches whose trailing missing step is past its deadline. */
function takeDue(state: SequenceState, nowMs: number): Awaiting[] {
  const due: Awaiting[] = [];
  let kept = 0;
  for (const waiting of state.awaiting) {
    if (waiting.deadlineMs < nowMs) due.push(waiting);
    else state.awaiting[kept++] = waiting;
  }
  state.awaiting.length = kept;
  return due;
}

function advance(partial: Partial, call: CallRecord, steps: readonly CompiledStep[]): Partial {
  const runs = partial.runs + 1;
  const done = runs === steps[partial.stage]!.runs;
  return {
    stage: done ? partial.stage + 1 : partial.stage,
    runs: done ? 0 : runs,
    calls: [...partial.calls, call],
    stepOf: [...partial.stepOf, partial.stage],
    firstMs: partial.calls.length === 0 ? call.event.startTimeMs : partial.firstMs,
    root: partial.root,
    dead: false,
  };
}

function compact(state: SequenceState): void {
  let kept = 0;
  for (const partial of state.partials) if (!partial.dead) state.partials[kept++] = partial;
  state.partials.length = kept;
}

function flowsHold(flows: readonly CompiledFlow[], partial: Partial, call: CallRecord, session: SessionView): boolean {
  for (const flow of flows) {
    let from: CallRecord | undefined;
    for (let i = partial.stepOf.length - 1; i >= 0; i--) {
      if (partial.stepOf[i] === flow.fromStep) {
        from = partial.calls[i];
        break;
      }
    }
    if (from === undefined) return false;
    const earlier = leaves(fieldValue(flow.fromField, from, session));
    const later = leaves(fieldValue(flow.field, call, session));
    if (!flowHolds(flow, later, earlier)) return false;
  }
  return true;
}

function flowHolds(flow: CompiledFlow, later: readonly string[], earlier: readonly string[]): boolean {
  for (const value of later) {
    for (const source of earlier) {
      switch (flow.op) {
        case 'equals':
          if (value === source) return true;
          break;
        case 'contains':
          if (source.length >= flow.minLength && value.includes(source)) return true;
          break;
        case 'in':
          if (value.length >= flow.minLength && source.includes(value)) return true;
          break;
      }
    }
  }
  return false;
}

/** String forms of a value's leaves (numbers and booleans included). */
function leaves(value: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof value === 'string') {
    if (value !== '') out.push(value);
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    out.push(String(value));
  } else if (value !== null && typeof value === 'object' && depth < 32) {
    for (const item of Array.isArray(value) ? value : Object.values(value)) leaves(item, out, depth + 1);
  }
  return out;
}
