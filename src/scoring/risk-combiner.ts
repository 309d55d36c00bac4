import type { Finding } from '../detectors/finding.js';
import type { EmpiricalScale } from './empirical-scale.js';
import type { RiskLevel } from './risk.js';

/** A score of 1 would be infinite evidence; cap each kind at this many bits. */
const MAX_BITS_PER_KIND = 40;

export interface CombinedRisk {
  /** 0..1: with a calibration, the share of benign training sessions with less evidence. */
  readonly risk: number;
  /** Summed evidence, in bits. */
  readonly bits: number;
  /** The strongest finding of each kind that contributed, strongest first. */
  readonly drivers: readonly Finding[];
}

/**
 * Weight of each kind's bits in the sum (kind = `detector/finding id`; 1 when not listed). Evidence about
 * reads only (a different read, an odd end, more calls, an unfamiliar prompt) is how another model takes
 * another legitimate path; it ranks sessions but should not raise an alert alone: harm needs an action.
 */
export const DEFAULT_EVIDENCE_WEIGHTS: Readonly<Record<string, number>> = {
  'markov/improbable-transition': 0.1,
  'markov/improbable-end': 0.1,
  'clusters/rare-tool': 0.1,
  'clusters/unusual-call-count': 0.1,
  'clusters/prompt-out-of-distribution': 0.1,
};

export interface CombineOptions {
  /** Fitted on the bits of held-out benign sessions: maps the sum to 0..1. */
  readonly calibration?: EmpiricalScale;
  readonly weights?: Readonly<Record<string, number>>;
  /** Only findings completed at or before this call count (how the risk stood then). */
  readonly upToCallIndex?: number;
}

/**
 * One risk from many findings. Each finding's score is read as 1 - p, with p the chance of evidence
 * this strong in normal traffic (the learned detectors calibrate theirs that way; a rule's score is
 * taken at its word). Within one kind (detector + finding id) only the strongest counts, so a long
 * session does not pile up weak evidence; across kinds the -log2 p add up, as independent evidence
 * would (a noisy-OR: 1 - prod p), each times its kind's weight. `calibration`, fitted on the bits of
 * held-out benign sessions, maps the sum back to 0..1 so that thresholds read as false-positive rates.
 */
export function combineRisk(findings: readonly Finding[], options: CombineOptions = {}): CombinedRisk {
  const weights = options.weights ?? DEFAULT_EVIDENCE_WEIGHTS;
  const upTo = options.upToCallIndex ?? Number.POSITIVE_INFINITY;
  const strongest = new Map<string, Finding>();
  for (const finding of findings) {
    if (finding.callIndex > upTo) continue;
    const kind = `${finding.detector}/${finding.id}`;
    const current = strongest.get(kind);
    if (current === undefined || finding.score > current.score) strongest.set(kind, finding);
  }
  let bits = 0;
  for (const [kind, finding] of strongest) bits += (weights[kind] ?? 1) * findingBits(finding.score);
  const drivers = [...strongest.values()].filter((f) => f.score > 0).sort((a, b) => b.score - a.score);
  const risk = options.calibration === undefined ? 1 - 2 ** -bits : options.calibration.scale(bits);
  return { risk, bits, drivers };
}

export function findingBits(score: number): number {
  if (!(score > 0)) return 0;
  return Math.min(MAX_BITS_PER_KIND, -Math.log2(Math.max(1 - score, 2 ** -MAX_BITS_PER_KIND)));
}

/** Findings → one 0..1 risk, optionally as it stood after a given call. */
export type RiskCombiner = (findings: readonly Finding[], upToCallIndex?: number) => number;

export function riskCombiner(options: Omit<CombineOptions, 'upToCallIndex'> = {}): RiskCombiner {
  return (findings, upToCallIndex) => combineRisk(findings, { ...options, ...(upToCallIndex !== undefined ? { upToCallIndex } : {}) }).risk;
}

/** Score at which each level starts; below `low` the level is `none`. */
export interface LevelThresholds {
  readonly low: number;
  readonly medium: number;
  readonly high: number;
  readonly critical: number;
}

/** Without a calibrated model: the noisy-OR of finding scores, cut at fixed points. */
export const DEFAULT_LEVEL_THRESHOLDS: LevelThresholds = { low: 0.15, medium: 0.35, high: 0.6, critical: 0.85 };

export function levelOf(score: number, thresholds: LevelThresholds): RiskLevel {
  if (score >= thresholds.critical) return 'critical';
  if (score >= thresholds.high) return 'high';
  if (score >= thresholds.medium) return 'medium';
  if (score >= thresholds.low) return 'low';
  return 'none';
}

/**
 * The first call index after which the combined risk reached `threshold` (-1: evidence about the whole
 * session, such as its attestation, reached it before any call), or null when it never did: how early
 * an alert would have come had the session been scored as it streamed.
 */
export function firstCallAtRisk(findings: readonly Finding[], threshold: number, combine: RiskCombiner): number | null {
  const indices = [...new Set(findings.map((finding) => finding.callIndex))].sort((a, b) => a - b);
  for (const index of indices) {
    if (combine(findings, index) >= threshold) return index;
  }
  return null;
}
