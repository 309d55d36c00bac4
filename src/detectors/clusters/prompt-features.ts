/** A sparse feature vector: parallel arrays of indices (ascending, unique) and values. */
export interface SparseVector {
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

export interface PromptFeatureOptions {
  /** Hash space size: a power of two. */
  readonly dimension: number;
  /** Character n-gram lengths, taken inside each word padded with spaces. */
  readonly charNgrams: readonly number[];
}

export const DEFAULT_PROMPT_FEATURES: PromptFeatureOptions = { dimension: 4096, charNgrams: [3, 4, 5] };

/**
 * Hashed word unigrams and bigrams plus character n-grams, log-scaled and L2-normalized.
 * Digits are folded to `0` so dates, ids and amounts read as one shape; each feature kind is salted so
 * a word and a character n-gram with the same letters do not share a slot.
 */
export function promptFeatures(text: string, options: PromptFeatureOptions = DEFAULT_PROMPT_FEATURES): SparseVector {
  const mask = options.dimension - 1;
  const counts = new Map<number, number>();
  const add = (feature: string) => {
    const slot = fnv1a(feature) & mask;
    counts.set(slot, (counts.get(slot) ?? 0) + 1);
  };
  const words = text.toLowerCase().replace(/[0-9]/g, '0').match(/[\p{L}\p{N}_]+/gu) ?? [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    add(`w:${word}`);
    if (i > 0) add(`b:${words[i - 1] as string} ${word}`);
    const padded = ` ${word} `;
    for (const n of options.charNgrams) {
      for (let j = 0; j + n <= padded.length; j++) add(`c:${padded.slice(j, j + n)}`);
    }
  }
  const indices = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
  const values = new Float32Array(indices.length);
  let norm = 0;
  indices.forEach((slot, i) => {
    const value = Math.log1p(counts.get(slot) ?? 0);
    values[i] = value;
    norm += value * value;
  });
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) / norm;
  return { indices, values };
}

/** 32-bit FNV-1a over UTF-16 code units. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
