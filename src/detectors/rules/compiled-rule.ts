import type { SessionOfCall, SweptFinding } from '../detector.js';
import type { Finding, Severity } from '../finding.js';
import type { CallRecord, SessionView } from '../../session/session-view.js';
import type { Route } from './compile-matcher.js';
import type { FieldRef } from './fields.js';

/** Default score contribution of a rule that gives none. */
export const SEVERITY_SCORES: Readonly<Record<Severity, number>> = {
  info: 0.05,
  low: 0.15,
  medium: 0.35,
  high: 0.6,
  critical: 0.85,
};

/** A call that took part in a rule match. */
export interface MatchedCall {
  readonly sessionId: string;
  /** Position in its session's start-time order. */
  readonly index: number;
  readonly spanId: string;
  readonly tool: string;
}

/** A rule finding: a `Finding` that also names every call involved and the join key. */
export interface RuleFinding extends Finding {
  readonly detector: 'rules';
  readonly tags: readonly string[];
  readonly calls: readonly MatchedCall[];
  /** The join key the match was made under (a session id, user, trace or field values). */
  readonly key: string;
}

/** What a rule matched, for building its finding and message. */
export interface Evidence {
  readonly calls: readonly CallRecord[];
  /** The call that completed the evidence in this session, null when time or the session's end did. */
  readonly completing: CallRecord | null;
  readonly key: string;
  /** Threshold rules: the aggregate value, and the distinct values seen. */
  readonly value?: number;
  readonly values?: readonly string[];
  /** Sequences: time from the first to the last call; thresholds: the window. */
  readonly spanMs: number;
  /** Free text the program adds to the default message (what was counted, how fast). */
  readonly detail: string;
}

/** One kind of rule's evaluation: per-key state plus what to do with each routed call. */
export interface RuleProgram<K = unknown> {
  createKeyState(): K;
  /** Feeds one call; pushes findings. Runs on the hot path: must not throw for any input. */
  observe(call: CallRecord, session: SessionView, key: string, state: K, out: RuleFinding[]): void;
  /** The session ended (session-keyed state only): settle what waited for it. */
  end(session: SessionView, key: string, state: K, out: RuleFinding[]): void;
  /**
   * Time has passed (state kept beyond a session): settle what waited for `nowMs`. Findings go to the
   * session of their match's last call, looked up with `sessionOf`; those whose session is gone are dropped.
   */
  expire?(nowMs: number, key: string, state: K, sessionOf: SessionOfCall, out: SweptFinding[]): void;
  /** Partial matches or window entries dropped by the caps since the last call (then reset). */
  takeDropped(state: K): number;
}

export interface CompiledRule {
  readonly ordinal: number;
  readonly id: string;
  readonly description: string;
  readonly severity: Severity;
  readonly score: number;
  readonly tags: readonly string[];
  readonly message: string | undefined;
  readonly kind: 'match' | 'sequence' | 'threshold';
  /** Hash of what the rule's state depends on: unchanged rules keep their state across reloads. */
  readonly fingerprint: string;
  /** True when `by` includes `session`: state lives in the session's detector state. */
  readonly bySession: boolean;
  /** Join key fields other than `session`. */
  readonly keyFields: readonly FieldRef[];
  /** Uses the session prompt (provenance): evaluated once the prompt is known. */
  readonly needsPrompt: boolean;
  readonly route: Route | null;
  readonly program: RuleProgram;
  /** `by` as written, for messages (`session`, `user`, `trace, tool`). */
  readonly byText: string;
}
