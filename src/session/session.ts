import type { Finding } from '../detectors/finding.js';
import type { SessionRootEvent, ToolCallEvent } from '../normalize/events.js';
import type { RiskLevel } from '../scoring/risk.js';
import type { CallOrigin, CallRecord, SessionView, TrustLevel } from './session-view.js';

// Most sessions never need these lists: they share one empty array until their first entry.
const NONE: readonly string[] = Object.freeze([]);

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
  attestation = '';
  calls: CallRecord[] = [];
  firstSeenMs = Number.POSITIVE_INFINITY;
  lastSeenMs = 0;
  ended = false;
  rootSpanId = '';
  /** Server-side spans of calls already recorded from the client side: their children are nested calls. */
  aliasSpanIds: readonly string[] = NONE;
  droppedCalls = 0;

  detectorStates: unknown[] = [];
  findings: Finding[] = [];
  score = 0;
  level: RiskLevel = 'none';
  escalated = false;
  lastSignalMs = 0;
  signalsSent = 0;
  /** What was last published, so an unchanged risk is not published again. */
  publishedScore = -1;
  publishedFindings = -1;
  /** Keys of findings already sent as alerts, so a replay does not alert twice. */
  alertedKeys: readonly string[] = NONE;

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

  applyRoot(event: SessionRootEvent): void {
    this.rootSpanId = event.spanId;
    if (event.prompt !== '') this.prompt = event.prompt;
    if (event.userId !== '' && this.userId === '') this.userId = event.userId;
    if (event.attestation !== '') this.attestation = event.attestation;
    this.ended = true;
    const end = event.startTimeMs + event.durationMs;
    if (end > this.lastSeenMs) this.lastSeenMs = end;
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
    const parent = event.parentSpanId === '' ? undefined : this.findCall(event.parentSpanId);
    if (parent !== undefined && parent.event.tool === event.tool && parent.event.spanKind !== event.spanKind) {
      if (this.aliasSpanIds.length < this.limits.maxCalls) this.aliasSpanIds = [...this.aliasSpanIds, event.spanId];
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
      this.aliasSpanIds = [...this.aliasSpanIds, server.event.spanId];
      this.calls[serverView] = { index: serverView, event, origin: this.originOf(event, parent) };
      return 'inserted';
    }
    if (this.calls.length >= this.limits.maxCalls) {
      this.droppedCalls++;
      return 'dropped';
    }
    if (event.userId !== '' && this.userId === '') this.userId = event.userId;
    const origin = this.originOf(event, parent);
    let position = this.calls.length;
    while (position > 0 && this.calls[position - 1]!.event.startTimeMs > event.startTimeMs) position--;
    if (position === this.calls.length) {
      const record = { index: position, event, origin };
      if (position === 0) this.calls = [record];
      else this.calls.push(record);
      return 'appended';
    }
    this.calls.splice(position, 0, { index: position, event, origin });
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
