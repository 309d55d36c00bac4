import type { Finding } from '../detectors/finding.js';
import type { TokenVerdict } from '../detectors/identity/token-verdict.js';
import type { SessionRootEvent, ToolCallEvent } from '../normalize/events.js';
import type { RiskLevel } from '../scoring/risk.js';
import { SESSION_BASE_BYTES, approximateCallBytes } from './session-size.js';
import type { AttestedIdentity, CallOrigin, CallRecord, SessionView, TrustLevel } from './session-view.js';

/** Observed span ids kept in an array up to this many, in a set beyond. */
const OBSERVED_LIST_MAX = 16;

let revisions = 0;
/** Unique across sessions, so a revision names one state of one session's calls. */
function nextRevision(): number {
  return ++revisions;
}

// Most sessions never need these lists: they share one empty array until their first entry.
const NONE: readonly string[] = Object.freeze([]);
const NO_IDENTITY: AttestedIdentity = Object.freeze({ subject: '', detail: '' });

export interface SessionLimits {
  /** Calls kept per session; later calls are counted in `droppedCalls` and not scored. */
  readonly maxCalls: number;
  /** Distinct trace ids kept per session. */
  readonly maxTraceIds: number;
  /** Findings kept per session (the strongest survive). */
  readonly maxFindings: number;
}

/** Where a new call landed in the session's start-time order. */
export type CallPlacement = 'appended' | 'inserted' | 'duplicate' | 'dropped';

/**
 * The mutable state of one session. Flat and small on purpose: the store may hold a million of them.
 * Only the session stage writes it; detectors read it through `SessionView`.
 */
export class Session implements SessionView {
  service = '';
  traceIds: string[] = [];
  prompt = '';
  userId = '';
  trust: TrustLevel = 'unverified';
  identity: AttestedIdentity = NO_IDENTITY;
  attestation = '';
  calls: CallRecord[] = [];
  revision = nextRevision();
  firstSeenMs = Number.POSITIVE_INFINITY;
  lastSeenMs = 0;
  ended = false;
  rootSpanId = '';
  /** Server-side spans of calls already recorded from the client side: their children are nested calls. */
  aliasSpanIds: readonly string[] = NONE;
  droppedCalls = 0;

  detectorStates: unknown[] = [];
  /** Which detection (`ScoringStage.useDetection`) the states and findings come from. */
  generation = 0;
  findings: Finding[] = [];
  score = 0;
  level: RiskLevel = 'none';
  escalated = false;
  lastSignalMs = 0;
  signalsSent = 0;
  /** How many calls the session had when its risk first reached the alert level, as it streamed; -1 until then. */
  callsAtAlert = -1;
  /** What was last published, so an unchanged risk is not published again. */
  publishedScore = -1;
  publishedFindings = -1;
  /** Keys of findings already sent as alerts, so a replay does not alert twice. */
  alertedKeys: readonly string[] = NONE;
  /**
   * Span ids of the calls already shown to the detectors: a replay must not count them again in state
   * kept beyond the session. A short array while the session is short (most are, and a set costs more
   * than the strings), a set once it is long (an array scan per call would make replays cubic).
   */
  private observedList: string[] = [];
  private observedSet: Set<string> | undefined;
  /** What the session store last counted for it against its memory budget. */
  accountedBytes = 0;
  /** What the detectors' states for this session hold (`Detector.stateBytes`), as of the last count. */
  detectorBytes = 0;
  /** The calls' share of `approximateBytes`, kept as calls come and go. */
  private callBytes = 0;

  constructor(
    readonly id: string,
    private readonly limits: SessionLimits,
  ) {}

  noteSpan(traceId: string, service: string, startTimeMs: number): void {
    if (this.service === '') this.service = service;
    // A literal for the first entry: `push` onto an empty array reserves room for 17.
    if (this.traceIds.length === 0) this.traceIds = [traceId];
    else if (!this.traceIds.includes(traceId) && this.traceIds.length < this.limits.maxTraceIds) {
      this.traceIds.push(traceId);
    }
    if (startTimeMs < this.firstSeenMs) this.firstSeenMs = startTimeMs;
    if (startTimeMs > this.lastSeenMs) this.lastSeenMs = startTimeMs;
  }

  /** Notes that the detectors were shown the call; false when they had been already. */
  markObserved(spanId: string): boolean {
    if (this.wasObserved(spanId)) return false;
    if (this.observedSet !== undefined) {
      this.observedSet.add(spanId);
    } else {
      this.observedList.push(spanId);
      if (this.observedList.length > OBSERVED_LIST_MAX) {
        this.observedSet = new Set(this.observedList);
        this.observedList = [];
      }
    }
    return true;
  }

  wasObserved(spanId: string): boolean {
    return this.observedSet !== undefined ? this.observedSet.has(spanId) : this.observedList.includes(spanId);
  }

  private forgetObserved(spanId: string): void {
    if (this.observedSet !== undefined) this.observedSet.delete(spanId);
    else this.observedList = this.observedList.filter((id) => id !== spanId);
  }

  /** Heap bytes the session holds, approximately: what the store's memory budget counts. */
  get approximateBytes(): number {
    return SESSION_BASE_BYTES + this.prompt.length + this.callBytes + this.detectorBytes;
  }

  /** Drops a trace's calls (they moved to the session that trace's conversation named); the rest keep their order. */
  removeTrace(traceId: string): void {
    this.traceIds = this.traceIds.filter((t) => t !== traceId);
    for (const call of this.calls) if (call.event.traceId === traceId) this.forgetObserved(call.event.spanId);
    this.calls = this.calls.filter((call) => call.event.traceId !== traceId).map((call, index) => ({ ...call, index }));
    this.revision = nextRevision();
    this.callBytes = this.calls.reduce((sum, call) => sum + approximateCallBytes(call.event), 0);
  }

  applyRoot(event: SessionRootEvent): void {
    this.rootSpanId = event.spanId;
    // The agent that roots the session starts its traces, so it is the producer that can sample them:
    // escalation signals go to its service, not to that of a tool server whose spans came first.
    if (event.service !== '') this.service = event.service;
    if (event.prompt !== '') this.prompt = event.prompt;
    if (event.userId !== '' && this.userId === '') this.userId = event.userId;
    if (event.attestation !== '') this.attestation = event.attestation;
    this.ended = true;
    const end = event.startTimeMs + event.durationMs;
    if (end > this.lastSeenMs) this.lastSeenMs = end;
  }

  /** Bounded like the calls: spans crafted as an endless chain of views of one call must not grow it. */
  private rememberAlias(spanId: string): void {
    if (this.aliasSpanIds.length < this.limits.maxCalls) this.aliasSpanIds = [...this.aliasSpanIds, spanId];
  }

  private findCall(spanId: string): CallRecord | undefined {
    for (let i = this.calls.length - 1; i >= 0; i--) {
      const call = this.calls[i]!;
      if (call.event.spanId === spanId) return call;
    }
    return undefined;
  }

  /**
   * Records a call in start-time order. A span already recorded is a duplicate (at-least-once delivery);
   * a server-side span of a call already seen from the client side is folded into it.
   */
  addCall(event: ToolCallEvent): CallPlacement {
    if (this.findCall(event.spanId) !== undefined || this.aliasSpanIds.includes(event.spanId)) {
      return 'duplicate';
    }
    this.checkClaim(event.userId, event.spanId);
    const parent = event.parentSpanId === '' ? undefined : this.findCall(event.parentSpanId);
    if (parent !== undefined && parent.event.tool === event.tool && parent.event.spanKind !== event.spanKind) {
      this.rememberAlias(event.spanId);
      return 'duplicate';
    }
    const serverView = this.calls.findIndex(
      (call) =>
        call.event.parentSpanId === event.spanId &&
        call.event.tool === event.tool &&
        call.event.spanKind !== event.spanKind,
    );
    if (serverView >= 0) {
      // The server's span of this call came first: the client's view becomes the record of it.
      const server = this.calls[serverView]!;
      this.rememberAlias(server.event.spanId);
      // The detectors were shown this call under the server's span id.
      if (this.wasObserved(server.event.spanId)) this.markObserved(event.spanId);
      this.calls[serverView] = { index: serverView, event, origin: this.originOf(event, parent) };
      this.callBytes += approximateCallBytes(event) - approximateCallBytes(server.event);
      this.revision = nextRevision();
      return 'inserted';
    }
    if (this.calls.length >= this.limits.maxCalls) {
      this.droppedCalls++;
      return 'dropped';
    }
    if (event.userId !== '' && this.userId === '') this.userId = event.userId;
    const origin = this.originOf(event, parent);
    this.callBytes += approximateCallBytes(event);
    let position = this.calls.length;
    while (position > 0 && this.calls[position - 1]!.event.startTimeMs > event.startTimeMs) position--;
    if (position === this.calls.length) {
      const record = { index: position, event, origin };
      if (position === 0) this.calls = [record];
      else this.calls.push(record);
      return 'appended';
    }
    this.calls.splice(position, 0, { index: position, event, origin });
    this.revision = nextRevision();
    for (let i = position + 1; i < this.calls.length; i++) {
      const call = this.calls[i]!;
      this.calls[i] = { index: i, event: call.event, origin: call.origin };
    }
    return 'inserted';
  }

  private originOf(event: ToolCallEvent, parent: CallRecord | undefined): CallOrigin {
    if (parent !== undefined || this.aliasSpanIds.includes(event.parentSpanId)) return 'nested';
    return 'user';
  }

  /** Origins depend on which parents were known when a call arrived; recompute once all are in. */
  refreshOrigins(): void {
    const spanIds = new Set<string>(this.aliasSpanIds);
    for (const call of this.calls) spanIds.add(call.event.spanId);
    for (let i = 0; i < this.calls.length; i++) {
      const call = this.calls[i]!;
      const origin: CallOrigin = spanIds.has(call.event.parentSpanId) ? 'nested' : 'user';
      if (origin !== call.origin) this.calls[i] = { index: i, event: call.event, origin };
    }
  }

  /**
   * Binds the session to a verified attestation, or marks it invalid: one that failed verification,
   * names another session, or names another user than an earlier one. Invalid is final. Claims made
   * before the attestation was known are checked now. Returns true when the trust changed.
   */
  applyAttestation(verdict: TokenVerdict, rootUserId: string, rootSpanId: string): boolean {
    const before = this.trust;
    if (before === 'invalid' || verdict.status === 'unchecked') return false;
    if (verdict.status === 'rejected') return this.invalidate(verdict.reason);
    const { subject, sessionId } = verdict.claims;
    if (sessionId !== this.id) return this.invalidate(`the attestation is for session '${sessionId}'`);
    if (this.identity.subject !== '' && this.identity.subject !== subject) {
      return this.invalidate(`attestations name two users ('${this.identity.subject}', '${subject}')`);
    }
    if (this.identity.subject === '') {
      this.identity = { subject, detail: '' };
      this.trust = 'verified';
      for (const call of this.calls) this.checkClaim(call.event.userId, call.event.spanId);
    }
    this.checkClaim(rootUserId, rootSpanId);
    return this.trust !== before;
  }

  /** A span's claimed user against the attested one: any other user makes a verified session spoofed. */
  checkClaim(userId: string, spanId: string): void {
    if (this.trust !== 'verified' || userId === '' || userId === this.identity.subject) return;
    this.trust = 'spoofed';
    this.identity = { subject: this.identity.subject, detail: `span ${spanId} claims user '${userId}'` };
  }

  private invalidate(reason: string): boolean {
    this.trust = 'invalid';
    this.identity = { subject: '', detail: reason };
    return true;
  }

  /**
   * A detached copy for a what-if: context and calls, no findings, detector states or escalation.
   * Call records are immutable and shared.
   */
  copyForPreview(): Session {
    const copy = new Session(this.id, this.limits);
    copy.service = this.service;
    copy.traceIds = [...this.traceIds];
    copy.prompt = this.prompt;
    copy.userId = this.userId;
    copy.trust = this.trust;
    copy.identity = this.identity;
    copy.attestation = this.attestation;
    copy.calls = [...this.calls];
    copy.revision = this.revision;
    copy.callBytes = this.callBytes;
    copy.firstSeenMs = this.firstSeenMs;
    copy.lastSeenMs = this.lastSeenMs;
    copy.ended = this.ended;
    copy.rootSpanId = this.rootSpanId;
    copy.aliasSpanIds = this.aliasSpanIds;
    copy.findings = this.findings.filter((finding) => finding.crossSession === true);
    return copy;
  }

  /** Remembers that an alert went out for `key`; false when it had already, or when the cap is reached. */
  markAlerted(key: string, cap: number): boolean {
    if (this.alertedKeys.includes(key) || this.alertedKeys.length >= cap) return false;
    this.alertedKeys = [...this.alertedKeys, key];
    return true;
  }

  /** Adds findings, keeping the strongest `maxFindings`. */
  addFindings(found: readonly Finding[]): void {
    for (const finding of found) {
      if (this.findings.length < this.limits.maxFindings) {
        this.findings.push(finding);
        continue;
      }
      let weakest = 0;
      for (let i = 1; i < this.findings.length; i++) {
        if (this.findings[i]!.score < this.findings[weakest]!.score) weakest = i;
      }
      if (this.findings[weakest]!.score < finding.score) this.findings[weakest] = finding;
    }
  }
}
