import type { Finding } from '../detectors/finding.js';
import type { RiskLevel } from '../scoring/risk.js';
import type { CallOrigin, TrustLevel } from './session-view.js';

/** One call of a session's timeline, as the REST API shows it. */
export interface TimelineCall {
  readonly index: number;
  readonly spanId: string;
  readonly traceId: string;
  readonly tool: string;
  readonly server: string;
  readonly category: string;
  readonly effect: string;
  readonly categoryInferred: boolean;
  readonly origin: CallOrigin;
  readonly status: 'ok' | 'error';
  /** ISO-8601 */
  readonly startTime: string;
  readonly durationMs: number;
}

export interface EscalationState {
  readonly escalated: boolean;
  /** ISO-8601 of the last signal sent, '' when none. */
  readonly lastSignalAt: string;
  /** ISO-8601 when the last signal's TTL ends, '' when none. */
  readonly expiresAt: string;
  readonly signalsSent: number;
}

/** A short line per session, for listings. */
export interface SessionSummary {
  readonly session: string;
  readonly service: string;
  readonly userId: string;
  readonly trust: TrustLevel;
  readonly score: number;
  readonly level: RiskLevel;
  readonly callCount: number;
  readonly escalated: boolean;
  /** ISO-8601 */
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/** Everything known about one live session. */
export interface SessionSnapshot extends SessionSummary {
  readonly traceIds: readonly string[];
  readonly prompt: string;
  readonly findings: readonly Finding[];
  readonly timeline: readonly TimelineCall[];
  readonly escalation: EscalationState;
}

export interface SessionQuery {
  readonly minScore: number;
  /** Sessions seen at or after this time (epoch ms). */
  readonly sinceMs: number;
  readonly limit: number;
}

/** Read access to live sessions, for the API. */
export interface SessionDirectory {
  get(id: string): SessionSnapshot | undefined;
  /** Highest score first. */
  list(query: SessionQuery): SessionSummary[];
}
