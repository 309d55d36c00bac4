import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed } from '../../../src/training/generator/prng.js';

function draw(seed: number, n: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next());
}

describe('createRng', () => {
  it('repeats its stream for the same seed', () => {
    expect(draw(42, 50)).toEqual(draw(42, 50));
  });

  it('gives different streams for different seeds', () => {
    expect(draw(42, 50)).not.toEqual(draw(43, 50));
  });

  it('stays in [0, 1) and covers the range', () => {
    const values = draw(7, 10_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  it('draws integers within both bounds, hitting each end', () => {
    const rng = createRng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it('writes hex of the requested length', () => {
    const rng = createRng(9);
    expect(rng.hex(8)).toMatch(/^[0-9a-f]{16}$/);
    expect(rng.hex(6)).toMatch(/^[0-9a-f]{12}$/);
  });

  it('picks by weight', () => {
    const rng = createRng(5);
    let heavy = 0;
    for (let i = 0; i < 5000; i++) if (rng.weighted(['a', 'b'], [9, 1]) === 'a') heavy++;
    expect(heavy / 5000).toBeGreaterThan(0.85);
    expect(heavy / 5000).toBeLessThan(0.95);
  });

  it('rejects a weighted pick with mismatched weights', () => {
    expect(() => createRng(1).weighted(['a', 'b'], [1])).toThrow(RangeError);
  });
});

describe('deriveSeed', () => {
  it('depends on every part', () => {
    const base = deriveSeed(1, 'session', 3);
    expect(deriveSeed(1, 'session', 3)).toBe(base);
    expect(deriveSeed(2, 'session', 3)).not.toBe(base);
    expect(deriveSeed(1, 'session', 4)).not.toBe(base);
    expect(deriveSeed(1, 'split', 3)).not.toBe(base);
  });
});
