export interface Threshold {
  /** Alert when a score is above this. */
  readonly threshold: number;
  readonly targetFpr: number;
  /** Share of the calibration scores above the threshold. */
  readonly observedFpr: number;
  /** Number of benign scores it was set from. */
  readonly n: number;
}

/**
 * The lowest threshold with at most `targetFpr` of the (benign, unlabelled) scores above it.
 * Ties are kept together, so the observed rate may fall below the target but never above it.
 */
export function calibrate(scores: readonly number[], targetFpr = 0.01): Threshold {
  if (!(targetFpr >= 0 && targetFpr < 1)) throw new RangeError(`targetFpr must be in [0, 1), got ${targetFpr}`);
  const sorted = scores.filter(Number.isFinite).sort((a, b) => b - a);
  const n = sorted.length;
  if (n === 0) return { threshold: 0, targetFpr, observedFpr: 0, n };
  const allowed = Math.floor(targetFpr * n);
  // The (allowed+1)-th highest score: everything strictly above it is at most `allowed` scores.
  const threshold = sorted[Math.min(allowed, n - 1)] as number;
  const above = sorted.filter((s) => s > threshold).length;
  return { threshold, targetFpr, observedFpr: above / n, n };
}
