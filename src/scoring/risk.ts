import type { Finding, Severity } from '../detectors/finding.js';
import type { TrustLevel } from '../session/session-view.js';

export type RiskLevel = 'none' | 'low' | 'medium' | 'high' | 'critical';

/** A session's risk after its latest event: what `chainwatch.scores` carries. */
export interface ScoreUpdate {
  readonly session: string;
  readonly service: string;
  readonly traceIds: readonly string[];
  readonly userId: string;
  readonly trust: TrustLevel;
  /** 0..1 */
  readonly score: number;
  readonly level: RiskLevel;
  readonly callCount: number;
  readonly findings: readonly Finding[];
  readonly escalated: boolean;
  /** ISO-8601 */
  readonly updatedAt: string;
}

/** A finding at or above the alert severity, with its session context: what `chainwatch.alerts` carries. */
export interface Alert {
  readonly id: string;
  readonly session: string;
  readonly service: string;
  readonly userId: string;
  readonly trust: TrustLevel;
  readonly score: number;
  readonly level: RiskLevel;
  readonly finding: Finding;
  readonly severity: Severity;
  /** ISO-8601 */
  readonly createdAt: string;
}

/**
 * Asks a producer to trace a session at 100 % until `ttlSeconds` after `issuedAt`:
 * what `chainwatch.sampling.<service>` carries.
 */
export interface EscalationSignal {
  readonly session: string;
  readonly traceIds: readonly string[];
  readonly service: string;
  readonly level: 'full';
  readonly ttlSeconds: number;
  readonly reason: string;
  readonly score: number;
  /** ISO-8601 */
  readonly issuedAt: string;
}
