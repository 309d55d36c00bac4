import { describe, expect, it } from 'vitest';
import { EmpiricalScale } from '../../src/scoring/empirical-scale.js';

describe('EmpiricalScale', () => {
  it('reads back what it wrote, scoring the same', () => {
    const fitted = EmpiricalScale.fit([1, 2, 2, 3, 5, 8, 13], 2);
    const read = EmpiricalScale.fromJSON(JSON.parse(JSON.stringify(fitted.toJSON())));
    for (const raw of [0, 2, 4, 13, 20]) expect(read.scale(raw)).toBe(fitted.scale(raw));
    expect(EmpiricalScale.fromJSON(EmpiricalScale.fit([]).toJSON()).scale(3)).toBe(0);
  });

  it.each([
    [{ values: [], ranks: [], n: 5, tailUnit: 1 }, '0 values for a sample of 5'],
    [{ values: [1, 2], ranks: [0, 1], n: 2, tailUnit: -1 }, 'tailUnit must be a positive number, got -1'],
    [{ values: [1, 2], ranks: [0, 1], n: 2.5, tailUnit: 1 }, 'n must be a whole number, got 2.5'],
    [{ values: [2, 1], ranks: [0, 1], n: 2, tailUnit: 1 }, 'values must be finite numbers, strictly increasing'],
    [{ values: [1, 1], ranks: [0, 1], n: 2, tailUnit: 1 }, 'values must be finite numbers, strictly increasing'],
    [{ values: [1, 2], ranks: [0, 2], n: 2, tailUnit: 1 }, 'ranks must be whole numbers in [0, 2), strictly increasing'],
    [{ values: [1, 2], ranks: [0], n: 2, tailUnit: 1 }, 'expected { values, ranks, n, tailUnit }'],
  ])('refuses a scale that could make a risk NaN or leave 0..1: %j', (data, reason) => {
    expect(() => EmpiricalScale.fromJSON(data, 'thresholds.json risk')).toThrow(`thresholds.json risk: ${reason}`);
  });
});
