import { describe, expect, it } from 'vitest';
import { levelOf } from '../../src/scoring/risk-combiner.js';
import { calibratedLevels } from '../../src/service/detection-setup.js';

describe('calibratedLevels', () => {
  it('alerts above the calibrated threshold, as calibration counted, not at it', () => {
    // Risks are ranks among the training sessions: many sessions sit exactly on the threshold.
    const levels = calibratedLevels(0.99);
    expect(levelOf(0.99, levels)).toBe('medium');
    expect(levelOf(0.9900001, levels)).toBe('high');
    expect(levels).toMatchObject({ low: expect.closeTo(0.9, 9), medium: expect.closeTo(0.95, 9), critical: expect.closeTo(0.999, 9) });
  });

  it('keeps a threshold of 1 reachable', () => {
    expect(calibratedLevels(1).high).toBe(1);
  });
});
