import type { Finding } from '../detectors/finding.js';
import type { RiskLevel } from './risk.js';

/** Score at which each level starts; below `low` the level is `none`. */
export interface LevelThresholds {
  readonly low: number;
  readonly medium: number;
  readonly high: number;
  readonly critical: number;
}

export const DEFAULT_LEVEL_THRESHOLDS: LevelThresholds = { low: 0.15, medium: 0.35, high: 0.6, critical: 0.85 };

/**
 * Combines findings into one risk in 0..1 by noisy-OR: independent pieces of evidence each leave a
 * chance that the session is benign, and the risk is one minus their product. Repeats of one finding
 * (same detector and id, e.g. a rule firing on every call) count once, at their strongest, so a long
 * session is not risky merely for being long.
 */
export function combineFindings(findings: readonly Finding[], upToCallIndex = Number.POSITIVE_INFINITY): number {
  const strongest = new Map<string, number>();
  for (const finding of findings) {
    if (finding.callIndex > upToCallIndex) continue;
    const key = `${finding.detector}\u0000${finding.id}`;
    const score = Math.min(1, Math.max(0, finding.score));
    if ((strongest.get(key) ?? 0) < score) strongest.set(key, score);
  }
  let benign = 1;
  for (const score of strongest.values()) benign *= 1 - score;
  return 1 - benign;
}

export function levelOf(score: number, thresholds: LevelThresholds): RiskLevel {
  if (score >= thresholds.critical) return 'critical';
  if (score >= thresholds.high) return 'high';
  if (score >= thresholds.medium) return 'medium';
  if (score >= thresholds.low) return 'low';
  return 'none';
}

/**
 * The first call index after which the combined risk reached `threshold`, or -1: how early an alert
 * would have come had the session been scored as it streamed.
 */
export function firstCallAtRisk(findings: readonly Finding[], threshold: number): number {
  const indices = [...new Set(findings.map((finding) => finding.callIndex))].sort((a, b) => a - b);
  for (const index of indices) {
    if (combineFindings(findings, index) >= threshold) return index;
  }
  return -1;
}
