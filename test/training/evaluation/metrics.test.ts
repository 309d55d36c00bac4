import { describe, it, expect } from 'vitest';
import type { Finding } from '../../../src/detectors/finding.js';
import { riskCombiner } from '../../../src/scoring/risk-combiner.js';
import { alertCallIndex, leadTime, operatingPoint, rocAuc, rocCurve, shareAbove } from '../../../src/training/evaluation/index.js';

const finding = (detector: string, score: number, callIndex: number, id = 'x'): Finding => ({
  detector,
  id,
  severity: 'medium',
  score,
  message: '',
  callIndex,
  spanIds: [],
});

describe('rocAuc', () => {
  it('counts each positive-over-negative pair, ties as one half', () => {
    // Pairs: (3>1) (3>2) (2>1) and the tie (2,2): 3.5 of 4.
    expect(rocAuc([3, 2], [1, 2])).toBe(0.875);
    expect(rocAuc([1, 1, 1], [1, 1])).toBe(0.5);
    expect(rocAuc([0], [1])).toBe(0);
    expect(rocAuc([5, 6], [1, 2, 3])).toBe(1);
  });

  it('is undefined without positives or negatives', () => {
    expect(rocAuc([], [1])).toBeNaN();
    expect(rocAuc([1], [])).toBeNaN();
  });
});

describe('rocCurve', () => {
  it('steps through every distinct score, ties together', () => {
    expect(rocCurve([0.9, 0.4], [0.6, 0.1]).map(({ fpr, tpr }) => [fpr, tpr])).toEqual([
      [0, 0],
      [0, 0.5],
      [0.5, 0.5],
      [0.5, 1],
      [1, 1],
    ]);
    expect(rocCurve([0.5, 0.5], [0.5]).map(({ fpr, tpr }) => [fpr, tpr])).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });
});

describe('operatingPoint', () => {
  it('sets the threshold on the negatives so that at most the target share is above it', () => {
    const negatives = Array.from({ length: 100 }, (_, i) => i / 100);
    const point = operatingPoint([0.99, 0.985, 0.5], negatives, 0.01);
    expect(point.threshold).toBe(0.98);
    expect(point.fpr).toBe(0.01);
    expect(point.tpr).toBeCloseTo(2 / 3, 12);
  });

  it('keeps tied negatives together, so the observed rate stays under the target', () => {
    const point = operatingPoint([1, 0.2], [0, 0, 0.2, 0.2, 0.2], 0.5);
    expect(point.threshold).toBe(0.2);
    expect(point.fpr).toBe(0);
    expect(point.tpr).toBe(0.5);
  });

  it('shareAbove is strict', () => {
    expect(shareAbove([0.1, 0.2, 0.3, 0.4], 0.2)).toBe(0.5);
    expect(shareAbove([], 0.2)).toBeNaN();
  });
});

describe('lead time', () => {
  it('finds the first call after which the re-combined risk was above the threshold', () => {
    // Default combiner: a 0.5 finding is 1 bit (risk 0.5); adding a 0.75 of another kind makes 3 bits (0.875).
    const findings = [finding('rules', 0.5, 0, 'a'), finding('rules', 0.75, 2, 'b')];
    const combine = riskCombiner();
    expect(alertCallIndex(findings, 0.4, combine)).toBe(0);
    expect(alertCallIndex(findings, 0.8, combine)).toBe(2);
    expect(alertCallIndex(findings, 0.875, combine)).toBeNull();
  });

  it('shares alerts at or before the first harmful call, with the median calls ahead', () => {
    const lead = leadTime([
      { alert: 1, harmful: 2 },
      { alert: 3, harmful: 2 },
      { alert: 2, harmful: 2 },
    ]);
    expect(lead).toEqual({ sessions: 3, inTime: 2, share: 2 / 3, medianCallsAhead: 0 });
    expect(leadTime([]).share).toBeNaN();
  });
});
