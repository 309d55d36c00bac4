import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/detectors/finding.js';
import { combineRisk, firstCallAtRisk, levelOf, riskCombiner, DEFAULT_LEVEL_THRESHOLDS } from '../../src/scoring/risk-combiner.js';

const plain = riskCombiner({ weights: {} });
const combineFindings = (findings: readonly Finding[], upTo?: number): number => plain(findings, upTo);

function finding(id: string, score: number, callIndex: number, detector = 'test'): Finding {
  return { detector, id, severity: 'medium', score, message: id, callIndex, spanIds: [] };
}

describe('combineRisk without a calibration (noisy-OR)', () => {
  it('is zero without findings and a noisy-OR of independent evidence', () => {
    expect(combineFindings([])).toBe(0);
    expect(combineFindings([finding('a', 0.5, 0), finding('b', 0.5, 1)])).toBeCloseTo(0.75, 10);
    expect(combineFindings([finding('a', 0.2, 0), finding('a', 0.2, 0, 'other')])).toBeCloseTo(0.36, 10);
  });

  it('counts a repeated finding once, at its strongest', () => {
    const repeated = [finding('a', 0.3, 0), finding('a', 0.5, 1), finding('a', 0.4, 2)];
    expect(combineFindings(repeated)).toBeCloseTo(0.5, 10);
  });

  it('weights read-only evidence kinds down by default', () => {
    const read = combineRisk([finding('improbable-transition', 0.75, 0, 'markov')]).risk;
    expect(read).toBeCloseTo(1 - 2 ** -0.2, 10);
  });

  it('clamps scores outside 0..1 and can stop at a call index', () => {
    expect(combineFindings([finding('a', 1.7, 0)])).toBeCloseTo(1, 9);
    expect(combineFindings([finding('a', -1, 0)])).toBe(0);
    expect(combineFindings([finding('a', 0.5, 0), finding('b', 0.5, 3)], 2)).toBeCloseTo(0.5, 10);
  });
});

describe('firstCallAtRisk', () => {
  it('finds the first call after which the combined risk reaches the threshold', () => {
    const findings = [finding('a', 0.4, 1), finding('b', 0.4, 4), finding('c', 0.9, 7)];
    expect(firstCallAtRisk(findings, 0.6, plain)).toBe(4);
    expect(firstCallAtRisk(findings, 0.3, plain)).toBe(1);
    expect(firstCallAtRisk(findings, 0.999, plain)).toBeNull();
    // Evidence about the whole session alerts before any call: -1, not "never".
    const attested = [{ ...findings[0]!, callIndex: -1, score: 0.95 }, { ...findings[0]!, callIndex: 2, score: 0.1 }];
    expect(firstCallAtRisk(attested, 0.6, plain)).toBe(-1);
  });
});

describe('levelOf', () => {
  it('maps scores onto levels at the thresholds', () => {
    expect(levelOf(0, DEFAULT_LEVEL_THRESHOLDS)).toBe('none');
    expect(levelOf(0.15, DEFAULT_LEVEL_THRESHOLDS)).toBe('low');
    expect(levelOf(0.35, DEFAULT_LEVEL_THRESHOLDS)).toBe('medium');
    expect(levelOf(0.6, DEFAULT_LEVEL_THRESHOLDS)).toBe('high');
    expect(levelOf(0.85, DEFAULT_LEVEL_THRESHOLDS)).toBe('critical');
  });
});
