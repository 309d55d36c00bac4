import type { EvidenceScale } from '../detectors/evidence-scale.js';

/** Most points an empirical scale keeps; larger samples are thinned to evenly spaced ranks. */
const MAX_POINTS = 512;

export interface SerializedEmpiricalScale {
  /** Sorted raw values at the kept ranks. */
  readonly values: number[];
  /** Rank (0-based, in the full sorted sample) of each kept value. */
  readonly ranks: number[];
  readonly n: number;
  /** Raw units per halving of the tail probability beyond the largest sample. */
  readonly tailUnit: number;
}

/**
 * Turns raw evidence into "how far into the benign tail": score = 1 - P(benign >= raw), with the
 * probability from the held-out benign sample ((count + 1) / (n + 1), never 0) and, beyond the largest
 * benign value, halving every `tailUnit` so stronger evidence still ranks higher. Between two sample
 * values the probability is interpolated geometrically: a step function would tie every value in a
 * gap of the (sparse) benign tail, and a threshold on tied scores cannot tell them apart.
 */
export class EmpiricalScale {
  private readonly data: SerializedEmpiricalScale;

  private constructor(data: SerializedEmpiricalScale) {
    this.data = data;
  }

  static fit(samples: readonly number[], tailUnit = 1): EmpiricalScale {
    const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b);
    const n = sorted.length;
    const step = Math.max(1, Math.ceil(n / MAX_POINTS));
    const values: number[] = [];
    const ranks: number[] = [];
    for (let i = 0; i < n; i += step) {
      // Keep the first rank of each run of equal values, so ties count fully as ">= raw".
      let rank = i;
      while (rank > 0 && sorted[rank - 1] === sorted[i]) rank--;
      if (ranks[ranks.length - 1] !== rank) {
        values.push(sorted[i] as number);
        ranks.push(rank);
      }
    }
    if (n > 0 && values[values.length - 1] !== sorted[n - 1]) {
      let rank = n - 1;
      while (rank > 0 && sorted[rank - 1] === sorted[n - 1]) rank--;
      values.push(sorted[n - 1] as number);
      ranks.push(rank);
    }
    return new EmpiricalScale({ values, ranks, n, tailUnit });
  }

  /** P(a benign held-out value >= raw), smoothed. */
  tailProbability(raw: number): number {
    const { values, ranks, n, tailUnit } = this.data;
    if (n === 0) return 1;
    const max = values[values.length - 1] as number;
    if (raw > max) return (1 / (n + 1)) * 2 ** (-(raw - max) / tailUnit);
    let lo = 0;
    let hi = values.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((values[mid] as number) >= raw) hi = mid;
      else lo = mid + 1;
    }
    // First kept value >= raw: the benign values at or above it are n - rank.
    const above = (n - (ranks[lo] as number) + 1) / (n + 1);
    if (lo === 0) return above;
    const below = (n - (ranks[lo - 1] as number) + 1) / (n + 1);
    const from = values[lo - 1] as number;
    const t = (raw - from) / ((values[lo] as number) - from);
    return below * (above / below) ** t;
  }

  readonly scale: EvidenceScale = (raw) => 1 - this.tailProbability(raw);

  toJSON(): SerializedEmpiricalScale {
    return this.data;
  }

  /** Reads a scale `fit` wrote; anything that could make a risk NaN or leave 0..1 is refused, naming `where`. */
  static fromJSON(value: unknown, where = 'scale'): EmpiricalScale {
    const data = value as Partial<SerializedEmpiricalScale> | null;
    if (
      data === null ||
      typeof data !== 'object' ||
      !Array.isArray(data.values) ||
      !Array.isArray(data.ranks) ||
      data.values.length !== data.ranks.length ||
      typeof data.n !== 'number' ||
      typeof data.tailUnit !== 'number'
    ) {
      throw new Error(`${where}: expected { values, ranks, n, tailUnit }`);
    }
    const { values, ranks, n, tailUnit } = data as SerializedEmpiricalScale;
    const refuse = (problem: string): never => {
      throw new Error(`${where}: ${problem}`);
    };
    if (!Number.isSafeInteger(n) || n < 0) refuse(`n must be a whole number, got ${n}`);
    if (!(Number.isFinite(tailUnit) && tailUnit > 0)) refuse(`tailUnit must be a positive number, got ${tailUnit}`);
    if ((n === 0) !== (values.length === 0)) refuse(`${values.length} values for a sample of ${n}`);
    const increasing = (list: readonly number[], valid: (x: number) => boolean): boolean =>
      list.every((x, i) => valid(x) && (i === 0 || x > (list[i - 1] as number)));
    if (!increasing(values, Number.isFinite)) refuse('values must be finite numbers, strictly increasing');
    if (!increasing(ranks, (r) => Number.isSafeInteger(r) && r >= 0 && r < n)) refuse(`ranks must be whole numbers in [0, ${n}), strictly increasing`);
    return new EmpiricalScale({ values: [...values], ranks: [...ranks], n, tailUnit });
  }
}
