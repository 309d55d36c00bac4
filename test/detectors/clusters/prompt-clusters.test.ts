import { describe, it, expect } from 'vitest';
import { PromptClusters, seededRandom } from '../../../src/detectors/clusters/index.js';

/** Three well separated blobs in 4-d. */
function blobs(perBlob: number, seed = 3): Float32Array[] {
  const random = seededRandom(seed);
  const centers = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
  ];
  return centers.flatMap((c) => Array.from({ length: perBlob }, () => Float32Array.from(c.map((v) => v + (random() - 0.5) * 0.1))));
}

describe('PromptClusters', () => {
  it('chooses k from the data by silhouette', () => {
    const clusters = PromptClusters.fit(blobs(10), { minK: 2, maxK: 8, seed: 1 });
    expect(clusters.k).toBe(3);
    expect(clusters.scan.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it('assigns points of a blob to one cluster and measures distance against the radius', () => {
    const points = blobs(10);
    const clusters = PromptClusters.fit(points, { maxK: 6, seed: 1 });
    const first = clusters.assign(points[0] as Float32Array).cluster;
    expect(clusters.assign(points[5] as Float32Array).cluster).toBe(first);
    expect(clusters.assign(points[15] as Float32Array).cluster).not.toBe(first);
    expect(clusters.assign(points[0] as Float32Array).relativeDistance).toBeLessThanOrEqual(1);
    expect(clusters.assign([0, 0, 0, 1]).relativeDistance).toBeGreaterThan(5);
  });

  it('is deterministic for a seed and round-trips through JSON', () => {
    const a = PromptClusters.fit(blobs(8), { maxK: 6, seed: 4 });
    const b = PromptClusters.fit(blobs(8), { maxK: 6, seed: 4 });
    expect(b.toJSON()).toEqual(a.toJSON());
    const copy = PromptClusters.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(copy.assign([0, 1, 0, 0])).toEqual(a.assign([0, 1, 0, 0]));
  });

  it('lets the caller score clusterings instead of silhouette', () => {
    // A score that prefers more clusters picks the top of the range.
    const clusters = PromptClusters.fit(blobs(6), { minK: 2, maxK: 5, seed: 1 }, (_labels, k) => k);
    expect(clusters.k).toBe(5);
  });

  it('rejects a malformed document naming it', () => {
    expect(() => PromptClusters.fromJSON({ format: 'chainwatch.prompt-clusters/1', centroids: [] }, 'clusters.json')).toThrow(/clusters.json/);
  });
});
