/** Median of repeated measurements: machines are noisy, so benches quote medians. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Runs `work` `rounds` times after `warmup` unmeasured runs; returns per-round rates of `units` per
 * second. `prepare` runs before each round, outside the timing.
 */
export function measureRate<T>(
  rounds: number,
  warmup: number,
  units: number,
  prepare: () => T,
  work: (prepared: T) => void,
): number[] {
  for (let i = 0; i < warmup; i++) work(prepare());
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const prepared = prepare();
    const start = process.hrtime.bigint();
    work(prepared);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(units / seconds);
  }
  return rates;
}

export function formatRate(rate: number): string {
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)} M/s` : `${(rate / 1e3).toFixed(1)} k/s`;
}

/** The value below which a share `p` (0..1) of the measurements fall (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
