import { kmeans } from 'ml-kmeans';
import { seededRandom, shuffleInPlace } from './seeded-random.js';

export interface PromptClusterOptions {
  readonly minK: number;
  /** Upper end of the k range; also capped below the number of distinct points. */
  readonly maxK: number;
  readonly seed: number;
  /** Silhouette is computed on at most this many points (a seeded sample). */
  readonly silhouetteSample: number;
}

/**
 * Scores a clustering of the points (higher is better); k is chosen by the best score. The default is
 * the mean silhouette; a trainer can score by how well clusters predict behaviour instead.
 */
export type ClusteringScore = (labels: readonly number[], k: number) => number;

export const DEFAULT_CLUSTER_OPTIONS: PromptClusterOptions = { minK: 2, maxK: 64, seed: 1, silhouetteSample: 1000 };

export interface ClusterAssignment {
  readonly cluster: number;
  /** Euclidean distance to the cluster's centroid. */
  readonly distance: number;
  /** Distance relative to the cluster's radius (the largest member distance in training); > 1 is outside. */
  readonly relativeDistance: number;
}

export const CLUSTERS_FORMAT = 'chainwatch.prompt-clusters/1';

export interface SerializedPromptClusters {
  readonly format: typeof CLUSTERS_FORMAT;
  readonly k: number;
  /** The chosen clustering's score. */
  readonly score: number;
  readonly centroids: number[][];
  readonly radii: number[];
  /** Score per k tried (silhouette unless the trainer chose another), for the record. */
  readonly scan: Array<{ k: number; score: number }>;
}

/** A floor on a cluster's radius so a one-prompt cluster does not call every rewording out-of-distribution. */
const MIN_RADIUS = 0.05;

/**
 * k-means over prompt embeddings (ml-kmeans, k-means++ seeded), k chosen by the best mean silhouette
 * over a range. Points are the distinct prompts; each cluster keeps its radius, so an assignment says how
 * far outside every cluster a new prompt is.
 */
export class PromptClusters {
  readonly k: number;
  /** Width of the embeddings the centroids live among. */
  readonly dimension: number;
  readonly score: number;
  readonly scan: ReadonlyArray<{ k: number; score: number }>;
  private readonly centroids: Float64Array[];
  private readonly radii: number[];

  private constructor(centroids: number[][], radii: number[], score: number, scan: Array<{ k: number; score: number }>) {
    this.centroids = centroids.map((c) => Float64Array.from(c));
    this.radii = radii;
    this.k = centroids.length;
    this.dimension = centroids[0]?.length ?? 0;
    this.score = score;
    this.scan = scan;
  }

  static fit(points: readonly Float32Array[], options: Partial<PromptClusterOptions> = {}, score?: ClusteringScore): PromptClusters {
    const settings = { ...DEFAULT_CLUSTER_OPTIONS, ...options };
    const data = points.map((p) => Array.from(p));
    if (data.length === 0) throw new Error('prompt clusters: no points');
    const maxK = Math.min(settings.maxK, data.length - 1);
    if (maxK < settings.minK) {
      return PromptClusters.fromAssignment(data, [centroidOf(data)], data.map(() => 0), 0, []);
    }
    const sample = silhouetteSample(data.length, settings.silhouetteSample, settings.seed);
    const scan: Array<{ k: number; score: number }> = [];
    let best: { k: number; score: number; centroids: number[][]; labels: number[] } | undefined;
    for (let k = settings.minK; k <= maxK; k++) {
      const result = kmeans(data, k, { seed: settings.seed, initialization: 'kmeans++', maxIterations: 200 });
      const s = score === undefined ? silhouette(data, result.clusters, k, sample) : score(result.clusters, k);
      scan.push({ k, score: s });
      if (best === undefined || s > best.score) best = { k, score: s, centroids: result.centroids, labels: result.clusters };
    }
    const chosen = best as NonNullable<typeof best>;
    return PromptClusters.fromAssignment(data, chosen.centroids, chosen.labels, chosen.score, scan);
  }

  private static fromAssignment(
    data: number[][],
    centroids: number[][],
    labels: number[],
    score: number,
    scan: Array<{ k: number; score: number }>,
  ): PromptClusters {
    const radii = centroids.map(() => MIN_RADIUS);
    data.forEach((point, i) => {
      const c = labels[i] as number;
      radii[c] = Math.max(radii[c] as number, Math.sqrt(squaredDistance(point, centroids[c] as number[])));
    });
    return new PromptClusters(centroids, radii, score, scan);
  }

  assign(embedding: Float32Array | readonly number[]): ClusterAssignment {
    let cluster = 0;
    let best = Infinity;
    this.centroids.forEach((centroid, c) => {
      const d = squaredDistance(embedding, centroid);
      if (d < best) {
        best = d;
        cluster = c;
      }
    });
    const distance = Math.sqrt(best);
    return { cluster, distance, relativeDistance: distance / (this.radii[cluster] as number) };
  }

  toJSON(): SerializedPromptClusters {
    return {
      format: CLUSTERS_FORMAT,
      k: this.k,
      score: this.score,
      centroids: this.centroids.map((c) => Array.from(c)),
      radii: [...this.radii],
      scan: [...this.scan],
    };
  }

  static fromJSON(value: unknown, where = 'prompt clusters'): PromptClusters {
    const data = value as Partial<SerializedPromptClusters> | null;
    if (data === null || typeof data !== 'object' || data.format !== CLUSTERS_FORMAT) throw new Error(`${where}: expected format ${CLUSTERS_FORMAT}`);
    const { centroids, radii } = data;
    if (!Array.isArray(centroids) || centroids.length === 0 || !Array.isArray(radii) || radii.length !== centroids.length) {
      throw new Error(`${where}: centroids and radii must be non-empty arrays of the same length`);
    }
    const width = centroids[0]?.length ?? 0;
    if (centroids.some((c) => !Array.isArray(c) || c.length !== width)) throw new Error(`${where}: centroids of different widths`);
    return new PromptClusters(centroids, radii, data.score ?? 0, data.scan ?? []);
  }
}

function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return sum;
}

function centroidOf(data: number[][]): number[] {
  const width = data[0]?.length ?? 0;
  const sum = new Array<number>(width).fill(0);
  for (const point of data) point.forEach((v, i) => (sum[i] = (sum[i] as number) + v));
  return sum.map((v) => v / data.length);
}

function silhouetteSample(n: number, size: number, seed: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  return n <= size ? all : shuffleInPlace(all, seededRandom(seed)).slice(0, size);
}

/** Mean silhouette over the sampled points (Euclidean); a point alone in its cluster scores 0. */
function silhouette(data: number[][], labels: number[], k: number, sample: readonly number[]): number {
  let total = 0;
  for (const i of sample) {
    const sums = new Array<number>(k).fill(0);
    const counts = new Array<number>(k).fill(0);
    for (const j of sample) {
      if (i === j) continue;
      const c = labels[j] as number;
      sums[c] = (sums[c] as number) + Math.sqrt(squaredDistance(data[i] as number[], data[j] as number[]));
      counts[c] = (counts[c] as number) + 1;
    }
    const own = labels[i] as number;
    if ((counts[own] as number) === 0) continue;
    const a = (sums[own] as number) / (counts[own] as number);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && (counts[c] as number) > 0) b = Math.min(b, (sums[c] as number) / (counts[c] as number));
    if (Number.isFinite(b)) total += (b - a) / Math.max(a, b, 1e-12);
  }
  return sample.length === 0 ? 0 : total / sample.length;
}
