import { END, START, type MarkovStep } from '../markov/index.js';

/**
 * The items a session's tool usage is described by: the tools, the categories and the tool
 * transitions (with START/END) seen in training. Serves as the prompt embedder's training target and,
 * L2-normalized, as the session's tool-sequence embedding.
 */
export class UsageVocabulary {
  readonly items: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  constructor(items: readonly string[]) {
    this.items = items;
    this.index = new Map(items.map((item, i) => [item, i]));
  }

  /** Every tool and category, and transitions seen at least `minTransitionCount` times. */
  static fromSequences(sequences: Iterable<readonly MarkovStep[]>, minTransitionCount = 2): UsageVocabulary {
    const counts = new Map<string, number>();
    for (const steps of sequences) {
      for (const item of new Set(usageItems(steps))) counts.set(item, (counts.get(item) ?? 0) + 1);
    }
    const items = [...counts]
      .filter(([item, count]) => !item.startsWith('b:') || count >= minTransitionCount)
      .map(([item]) => item)
      .sort();
    return new UsageVocabulary(items);
  }

  get size(): number {
    return this.items.length;
  }

  /** 1 for each vocabulary item the session shows, else 0. */
  presence(steps: readonly MarkovStep[]): Float32Array {
    const vector = new Float32Array(this.items.length);
    for (const item of usageItems(steps)) {
      const i = this.index.get(item);
      if (i !== undefined) vector[i] = 1;
    }
    return vector;
  }
}

/** The session's tool-sequence embedding: its usage presence vector, L2-normalized. */
export function sequenceEmbedding(vocabulary: UsageVocabulary, steps: readonly MarkovStep[]): Float32Array {
  return l2Normalize(vocabulary.presence(steps));
}

function usageItems(steps: readonly MarkovStep[]): string[] {
  const items: string[] = [];
  let previous = START;
  for (const step of steps) {
    items.push(`t:${step.tool}`, `c:${step.category}`, `b:${previous}>${step.tool}`);
    previous = step.tool;
  }
  items.push(`b:${previous}>${END}`);
  return items;
}

export function l2Normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}

export function cosine(a: Float32Array | readonly number[], b: Float32Array | readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
