import { describe, it, expect } from 'vitest';
import { calibrate, combineRisk, EmpiricalScale, findingBits } from '../../src/training/index.js';
import type { Finding } from '../../src/detectors/index.js';

describe('calibrate', () => {
  it('sets the threshold so at most the target share of benign scores is above it', () => {
    const scores = Array.from({ length: 200 }, (_, i) => i / 200);
    const t = calibrate(scores, 0.01);
    expect(scores.filter((s) => s > t.threshold).length).toBe(2);
    expect(t.observedFpr).toBe(0.01);
    expect(t.n).toBe(200);
  });

  it('keeps ties together rather than exceed the target', () => {
    const t = calibrate([0, 0, 0, 0, 1, 1, 1, 1, 1, 1], 0.1);
    expect(t.threshold).toBe(1);
    expect(t.observedFpr).toBe(0);
  });

  it('rejects a target outside [0, 1)', () => {
    expect(() => calibrate([1, 2], 1)).toThrow(/targetFpr/);
  });
});

describe('EmpiricalScale', () => {
  const scale = EmpiricalScale.fit([0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);

  it('reads raw evidence as the share of benign values below it', () => {
    // 3 of 10 benign values are >= 6: P = (3 + 1) / 11.
    expect(scale.tailProbability(6)).toBeCloseTo(4 / 11, 12);
    expect(scale.tailProbability(0)).toBeCloseTo(11 / 11, 12);
    expect(scale.scale(6)).toBeCloseTo(1 - 4 / 11, 12);
  });

  it('interpolates between benign values, so evidence in a gap of the sparse tail is not tied', () => {
    // Halfway from 6 (P = 4/11) to 7 (P = 3/11): the geometric mean.
    expect(scale.tailProbability(6.5)).toBeCloseTo(Math.sqrt((4 / 11) * (3 / 11)), 12);
    expect(scale.tailProbability(7)).toBeCloseTo(3 / 11, 12);
    const gap = EmpiricalScale.fit([0, 1, 2, 3, 20]);
    const inGap = [4, 8, 12, 16].map((raw) => gap.scale(raw));
    expect(inGap).toEqual([...inGap].sort((a, b) => a - b));
    expect(new Set(inGap).size).toBe(4);
    expect(gap.scale(16)).toBeLessThan(gap.scale(20));
  });

  it('keeps ranking beyond the largest benign value, halving per tail unit', () => {
    expect(scale.tailProbability(9)).toBeCloseTo((1 / 11) * 0.5, 12);
    expect(scale.scale(20)).toBeGreaterThan(scale.scale(10));
  });

  it('thins large samples but keeps their ranks', () => {
    const big = EmpiricalScale.fit(Array.from({ length: 10_000 }, (_, i) => i));
    expect(big.toJSON().values.length).toBeLessThanOrEqual(513);
    expect(big.tailProbability(9_000)).toBeCloseTo(1_001 / 10_001, 2);
    expect(EmpiricalScale.fromJSON(JSON.parse(JSON.stringify(big.toJSON()))).tailProbability(5_000)).toBe(big.tailProbability(5_000));
  });
});

describe('combineRisk', () => {
  const finding = (detector: string, id: string, score: number): Finding => ({
    detector,
    id,
    severity: 'low',
    score,
    message: '',
    callIndex: 0,
    spanIds: [],
  });

  it('counts only the strongest finding of each kind and adds kinds as a noisy-OR', () => {
    const risk = combineRisk([finding('rules', 'a', 0.5), finding('rules', 'a', 0.75), finding('clusters', 'rare-action', 0.5)], { weights: {} });
    expect(risk.bits).toBeCloseTo(findingBits(0.75) + findingBits(0.5), 12);
    expect(risk.risk).toBeCloseTo(1 - 0.25 * 0.5, 12);
    expect(risk.drivers.map((f) => f.score)).toEqual([0.75, 0.5]);
  });

  it('down-weights read-only evidence by default', () => {
    const read = combineRisk([finding('markov', 'improbable-transition', 0.99)]);
    const action = combineRisk([finding('markov', 'improbable-action', 0.99)]);
    expect(action.bits).toBeGreaterThan(5 * read.bits);
  });

  it('maps bits through a calibration so the risk reads as a benign quantile', () => {
    const calibration = EmpiricalScale.fit([0, 0, 0, 1, 1, 2, 3, 4, 5, 6]);
    const risk = combineRisk([finding('rules', 'x', 1 - 2 ** -4)], { calibration });
    expect(risk.bits).toBeCloseTo(4, 12);
    expect(risk.risk).toBeCloseTo(calibration.scale(4), 12);
  });
});
