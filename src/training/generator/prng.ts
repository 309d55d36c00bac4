/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32. Only 32-bit integer
 * arithmetic (Math.imul, shifts), so a seed gives the same stream on every platform.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** Uniform in [min, max). */
  float(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** One item, with probability proportional to its weight. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T;
  /** `count` distinct items in random order (all of them when there are fewer). */
  sample<T>(items: readonly T[], count: number): T[];
  /** Shuffles in place and returns the same array. */
  shuffle<T>(items: T[]): T[];
  /** `bytes` random bytes as lower-case hex. */
  hex(bytes: number): string;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Log-normal with the given median and shape (sigma of the underlying normal). */
  logNormal(median: number, sigma: number): number;
}

const UINT32 = 0x1_0000_0000;

function splitmix32(state: number): { value: number; state: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { value: z >>> 0, state: next };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A 32-bit seed from a base seed and labels (FNV-1a over the parts, finished with splitmix32). */
export function deriveSeed(seed: number, ...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const part of parts) {
    const text = `|${part}`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  return splitmix32(h).value;
}

export function createRng(seed: number): Rng {
  let sm = seed >>> 0;
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const out = splitmix32(sm);
    sm = out.state;
    s[i] = out.value;
  }
  // xoshiro's only bad state is all zeros; splitmix32 cannot give four zeros in a row, but be sure.
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;

  const nextUint32 = (): number => {
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]!;
    const s3 = s[3]!;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11);
    return result;
  };

  const next = (): number => nextUint32() / UINT32;

  const rng: Rng = {
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    float(min, max) {
      return min + next() * (max - min);
    },
    chance(p) {
      return next() < p;
    },
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
    weighted<T>(items: readonly T[], weights: readonly number[]): T {
      if (items.length === 0 || items.length !== weights.length) {
        throw new RangeError(
          `weighted pick needs one weight per item (${items.length} items, ${weights.length} weights)`,
        );
      }
      let total = 0;
      for (const w of weights) total += w;
      let r = next() * total;
      for (let i = 0; i < items.length; i++) {
        r -= weights[i]!;
        if (r < 0) return items[i] as T;
      }
      return items[items.length - 1] as T;
    },
    sample<T>(items: readonly T[], count: number): T[] {
      return rng.shuffle([...items]).slice(0, count);
    },
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = items[i] as T;
        items[i] = items[j] as T;
        items[j] = tmp;
      }
      return items;
    },
    hex(bytes) {
      let out = '';
      for (let i = 0; i < bytes; i += 4) {
        out += nextUint32().toString(16).padStart(8, '0');
      }
      return out.slice(0, bytes * 2);
    },
    normal() {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    logNormal(median, sigma) {
      return median * Math.exp(sigma * rng.normal());
    },
  };
  return rng;
}
