import type { Finding } from '../../detectors/finding.js';
import type { RiskCombiner } from '../../scoring/risk-combiner.js';

/**
 * The first call index after which the session's risk, re-combined from the findings complete by then,
 * was above `threshold`: where a streaming alert would have come. null when it never was.
 */
export function alertCallIndex(findings: readonly Finding[], threshold: number, combine: RiskCombiner): number | null {
  const indices = [...new Set(findings.map((finding) => finding.callIndex))].sort((a, b) => a - b);
  for (const index of indices) {
    if (combine(findings, index) > threshold) return index;
  }
  return null;
}

export interface LeadTime {
  /** Detected sessions with a known first harmful call. */
  readonly sessions: number;
  /** Of those, alerted at or before the first harmful call. */
  readonly inTime: number;
  /** inTime / sessions; NaN when there are none. */
  readonly share: number;
  /** Median of (first harmful call - alert call): calls of warning (negative: late). */
  readonly medianCallsAhead: number;
}

/** `alerts` and `harmful` pair up: the alert call index of a detected session and its first harmful call. */
export function leadTime(pairs: ReadonlyArray<{ readonly alert: number; readonly harmful: number }>): LeadTime {
  const ahead = pairs.map((p) => p.harmful - p.alert).sort((a, b) => a - b);
  const inTime = ahead.filter((calls) => calls >= 0).length;
  return {
    sessions: pairs.length,
    inTime,
    share: pairs.length === 0 ? Number.NaN : inTime / pairs.length,
    medianCallsAhead: median(ahead),
  };
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
