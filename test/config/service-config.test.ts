import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../src/config/service-config.js';

describe('resolveConfig', () => {
  it('keeps the live sessions within 1 GiB by default; 0 lifts the budget', () => {
    expect(DEFAULT_CONFIG.maxSessionBytes).toBe(1024 * 1024 * 1024);
    expect(resolveConfig({ maxSessionBytes: 0 }).maxSessionBytes).toBe(0);
  });

  it('names every option it cannot use', () => {
    expect(() => resolveConfig({ maxSessionBytes: -1, maxSessions: 0, otlpPort: 70_000 })).toThrow(
      /otlpPort: 70000 is not a port[\s\S]*maxSessions: 0 must be a positive number[\s\S]*maxSessionBytes: -1 must be a whole number of bytes \(0: no budget\)/,
    );
    expect(() => resolveConfig({ maxSessionBytes: 1.5 })).toThrow(/maxSessionBytes: 1.5/);
  });
});
