import type { ToolCallEvent } from '../normalize/events.js';

/** Is the call one the user's agent made, or one a tool made while serving another call? */
export type CallOrigin = 'user' | 'nested';

/**
 * How far a session's user id can be believed.
 * `verified`: bound by a valid attestation; `unverified`: none given; `invalid`: an attestation that
 * failed verification; `spoofed`: a span claims a user other than the attested one.
 */
export type TrustLevel = 'verified' | 'unverified' | 'invalid' | 'spoofed';

/** What attestation established about a session's user, where attestations are checked. */
export interface AttestedIdentity {
  /** The attested user id (`sub`), '' unless an attestation verified. */
  readonly subject: string;
  /** Why the trust is not `verified`: the verification failure, or the span that claims another user; '' otherwise. */
  readonly detail: string;
}

export interface CallRecord {
  /** Position in the session's start-time order. */
  readonly index: number;
  readonly event: ToolCallEvent;
  readonly origin: CallOrigin;
}

/**
 * Where the session holds a call now, -1 when it does not: a call filed under it by trace (an MCP
 * transport session's) names another session id, and calls move when one that started earlier comes late.
 */
export function positionInSession(session: SessionView, call: CallRecord): number {
  const calls = session.calls;
  const spanId = call.event.spanId;
  if (calls[call.index]?.event.spanId === spanId) return call.index;
  for (let i = calls.length - 1; i >= 0; i--) if (calls[i]!.event.spanId === spanId) return i;
  return -1;
}

/** What detectors may read of a session: its calls so far, in start-time order, and its context. */
export interface SessionView {
  readonly id: string;
  /** `service.name` of the producer that reported the session (of its first span). */
  readonly service: string;
  readonly traceIds: readonly string[];
  /** The prompt that rooted the session, '' until the root span arrives. */
  readonly prompt: string;
  /** The user the spans claim, '' when none. */
  readonly userId: string;
  readonly trust: TrustLevel;
  /** Absent where attestations are not checked (no JWKS configured). */
  readonly identity?: AttestedIdentity;
  readonly calls: readonly CallRecord[];
  /**
   * Changes, to a number no other session state had, when the calls before some call changed (one
   * inserted out of order, replaced by its client view, or moved away): what a detector judged of a call
   * from those before it may have changed. Calls appended at the end leave it as it was. Views whose
   * calls never change before one another (offline replays) may keep 0.
   */
  readonly revision: number;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  /** True once the agent's root span has arrived: the turn is over. */
  readonly ended: boolean;
}
