import type { ToolCallEvent } from '../normalize/events.js';
import type { CallRecord, SessionView } from '../session/session-view.js';
import type { Finding } from './finding.js';

/**
 * The held session a call is filed under now, if any: the session its span names, or the one its
 * trace moved to (a call of an MCP transport session joins its conversation once that is known).
 */
export type SessionOfCall = (event: ToolCallEvent) => SessionView | undefined;

/** What a detector sees for one new call. `call` is `session.calls[call.index]`. */
export interface DetectorContext<S> {
  readonly session: SessionView;
  readonly state: S;
  readonly call: CallRecord;
  /**
   * True for a what-if (a pre-flight check on a copy of the session): the detector may use its
   * per-session state but must change nothing it shares across sessions.
   */
  readonly dryRun?: boolean;
  /**
   * True when the call was shown to the detectors before (the session is replayed from fresh states):
   * evidence kept beyond the session, which counted the call then, must not count it again.
   */
  readonly replayed?: boolean;
}

/**
 * A source of evidence. Detectors see normalized sessions and events, never OTLP.
 * Per-session state is created by the detector and owned by the session, so it is bounded and evicted
 * with it; when spans arrive out of order the session is replayed from fresh states.
 * `observe` is on the hot path: it must not throw and should not allocate much.
 */
export interface Detector<S = unknown> {
  readonly id: string;
  /** Loads models or rules before the first event; failures here stop start-up with a clear error. */
  preload(): Promise<void>;
  createState(session: SessionView): S;
  observe(ctx: DetectorContext<S>): readonly Finding[];
  /** Heap bytes its state for one session holds beyond a few fields, approximately (the store's memory budget counts them). */
  stateBytes?(state: S): number;
  /** Called when the session's root span arrives (the agent's turn ended): session-level evidence. */
  observeEnd?(session: SessionView, state: S): readonly Finding[];
  /**
   * Called periodically with the service clock: evidence that waited for time to pass in state kept
   * beyond one session (a match whose trailing "missing" step never came within its maxspan). Each
   * finding goes to the session named beside it, when that session is still held.
   */
  sweep?(nowMs: number, sessionOf: SessionOfCall): readonly SweptFinding[];
  shutdown(): Promise<void>;
}

/** A finding settled by `sweep`, and the session it belongs to. */
export interface SweptFinding {
  readonly sessionId: string;
  readonly finding: Finding;
}
