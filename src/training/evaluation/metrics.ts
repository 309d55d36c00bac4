import { calibrate } from '../calibrate.js';

/**
 * Area under the ROC curve: the chance that a random positive scores above a random negative, ties
 * counting one half (the Mann-Whitney U statistic over the pooled ranks). NaN when a side is empty.
 */
export function rocAuc(positives: readonly number[], negatives: readonly number[]): number {
  const np = positives.length;
  const nn = negatives.length;
  if (np === 0 || nn === 0) return Number.NaN;
  const pooled = [...positives.map((score) => ({ score, positive: true })), ...negatives.map((score) => ({ score, positive: false }))];
  pooled.sort((a, b) => a.score - b.score);
  let rankSum = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j < pooled.length && (pooled[j] as { score: number }).score === (pooled[i] as { score: number }).score) j++;
    // Ranks i+1..j share their mean.
    const meanRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if ((pooled[k] as { positive: boolean }).positive) rankSum += meanRank;
    i = j;
  }
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}

export interface RocPoint {
  /** Sessions scoring at or above this count as detected. */
  readonly threshold: number;
  readonly fpr: number;
  readonly tpr: number;
}

/** The ROC curve from (0, 0) to (1, 1), one point per distinct score (tied scores move together). */
export function rocCurve(positives: readonly number[], negatives: readonly number[]): RocPoint[] {
  const thresholds = [...new Set([...positives, ...negatives])].sort((a, b) => b - a);
  const pos = [...positives].sort((a, b) => b - a);
  const neg = [...negatives].sort((a, b) => b - a);
  const points: RocPoint[] = [{ threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0 }];
  let p = 0;
  let n = 0;
  for (const threshold of thresholds) {
    while (p < pos.length && (pos[p] as number) >= threshold) p++;
    while (n < neg.length && (neg[n] as number) >= threshold) n++;
    points.push({ threshold, fpr: neg.length === 0 ? 0 : n / neg.length, tpr: pos.length === 0 ? 0 : p / pos.length });
  }
  return points;
}

export interface OperatingPoint {
  /** Target false-positive rate the threshold was set for, on the negatives. */
  readonly targetFpr: number;
  /** Detected = score above this. */
  readonly threshold: number;
  /** Share of negatives above the threshold (at most the target; ties keep it below). */
  readonly fpr: number;
  readonly tpr: number;
}

/**
 * TPR at a threshold set on the negatives so that at most `targetFpr` of them score above it (the
 * same rule as the model's own calibration).
 */
export function operatingPoint(positives: readonly number[], negatives: readonly number[], targetFpr: number): OperatingPoint {
  // Without negatives there is no threshold to set: every figure that needs one is n/a, not 100%.
  if (negatives.length === 0) return { targetFpr, threshold: Number.NaN, fpr: Number.NaN, tpr: Number.NaN };
  const { threshold, observedFpr } = calibrate([...negatives], targetFpr);
  return { targetFpr, threshold, fpr: observedFpr, tpr: shareAbove(positives, threshold) };
}

/** Share of scores above the threshold; NaN for no scores or no threshold. */
export function shareAbove(scores: readonly number[], threshold: number): number {
  if (scores.length === 0 || Number.isNaN(threshold)) return Number.NaN;
  let above = 0;
  for (const score of scores) if (score > threshold) above++;
  return above / scores.length;
}
