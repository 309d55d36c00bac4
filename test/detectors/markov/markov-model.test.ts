import { describe, it, expect } from 'vitest';
import { END, MarkovModel, type MarkovSequence } from '../../../src/detectors/markov/index.js';

const a = { tool: 'a', category: 'x' };
const b = { tool: 'b', category: 'y' };
const c = { tool: 'c', category: 'y' };
const d = { tool: 'd', category: 'y' };
const e = { tool: 'e', category: 'z' };

// START a b END, START a c END, START a b END
const sequences: MarkovSequence[] = [
  { steps: [a, b], cluster: 0 },
  { steps: [a, c], cluster: -1 },
  { steps: [a, b], cluster: -1 },
];

describe('MarkovModel (order 1)', () => {
  const model = MarkovModel.train(sequences, { order: 1 });
  // Order 0 counts: a 3, b 2, c 1, END 3 (9 tokens, 4 distinct); base 1 / (3 tools + 2).
  const base = 1 / 5;
  const p0 = (count: number) => (count + 4 * base) / (9 + 4);

  it('interpolates the first-order counts with the unigram (Witten-Bell)', () => {
    // After a: b 2, c 1 (3 tokens, 2 distinct).
    const pB = model.probability([a], b).probability;
    expect(pB).toBeCloseTo((2 + 2 * p0(2)) / (3 + 2), 12);
    const pC = model.probability([a], c).probability;
    expect(pC).toBeCloseTo((1 + 2 * p0(1)) / (3 + 2), 12);
    expect(pB).toBeGreaterThan(pC);
  });

  it('scores the session start and end as states', () => {
    // After START: a 3 (1 distinct).
    expect(model.probability([], a).probability).toBeCloseTo((3 + 1 * p0(3)) / (3 + 1), 12);
    // After b: END 2 (1 distinct).
    expect(model.probability([b], END).probability).toBeCloseTo((2 + 1 * p0(3)) / (2 + 1), 12);
  });

  it('backs an unseen transition off to the unigram', () => {
    // After b only END was seen; b -> a gets the unigram mass.
    expect(model.probability([b], a).probability).toBeCloseTo((0 + 1 * p0(3)) / (2 + 1), 12);
  });

  it('scores an unseen tool by its category and the new-tool mass of that category', () => {
    // Category chain: x 3, y 3, END 3 (9 tokens, 3 distinct); base 1 / (2 categories + 2).
    const c0 = (3 + 3 * (1 / 4)) / (9 + 3);
    const c1 = (3 + 1 * c0) / (3 + 1); // after x: y 3 (1 distinct)
    const newTool = 2 / (3 + 2); // category y: 3 calls, 2 distinct tools
    const p = model.probability([a], d);
    expect(p.basis).toBe('category');
    expect(p.probability).toBeCloseTo(c1 * newTool, 12);
  });

  it('makes an unseen tool of an unseen category rarer than one of a familiar category', () => {
    expect(model.probability([a], e).probability).toBeLessThan(model.probability([a], d).probability);
  });

  it('conditions on the prompt cluster with backoff to the global model', () => {
    const global = model.probability([a], c).probability;
    // Cluster 0 saw a -> b once (1 token, 1 distinct): c gets half the global estimate.
    const inCluster = model.probability([a], c, 0);
    expect(inCluster.clusterUsed).toBe(true);
    expect(inCluster.probability).toBeCloseTo((0 + 1 * global) / (1 + 1), 12);
    // A cluster the model never saw is the global model.
    expect(model.probability([a], c, 7).probability).toBeCloseTo(global, 12);
  });

  it('sums to one over the known next states', () => {
    for (const history of [[], [a], [b], [c]]) {
      const total = [a, b, c].reduce((s, next) => s + model.probability(history, next).probability, 0) +
        model.probability(history, END).probability;
      // The base keeps one slot for anything else, so a little mass is left for unseen tools.
      expect(total).toBeLessThan(1);
      expect(total).toBeGreaterThan(0.9);
    }
  });
});

describe('MarkovModel (order 2)', () => {
  const model = MarkovModel.train(
    [
      { steps: [a, b, c], cluster: -1 },
      { steps: [b, b, a], cluster: -1 },
    ],
    { order: 2 },
  );

  it('uses the longer context when it was seen and backs off to order 1 otherwise', () => {
    const order1 = MarkovModel.train(
      [
        { steps: [a, b, c], cluster: -1 },
        { steps: [b, b, a], cluster: -1 },
      ],
      { order: 1 },
    );
    // (a, b) was followed by c once: P2(c | a b) = (1 + 1 * P1(c | b)) / (1 + 1).
    const p1 = order1.probability([b], c).probability;
    expect(model.probability([a, b], c).probability).toBeCloseTo((1 + p1) / 2, 12);
    // (c, b) never seen: order 1 passes through.
    expect(model.probability([c, b], c).probability).toBeCloseTo(p1, 12);
  });
});

describe('MarkovModel serialization', () => {
  it('round-trips through JSON with the same probabilities', () => {
    const model = MarkovModel.train(sequences, { order: 2 });
    const copy = MarkovModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    for (const [history, next, cluster] of [
      [[a], b, -1],
      [[a, b], END, 0],
      [[a], d, 0],
      [[], a, -1],
    ] as const) {
      expect(copy.probability(history, next, cluster).probability).toBe(model.probability(history, next, cluster).probability);
    }
  });

  it('rejects a document of another format with a clear error', () => {
    expect(() => MarkovModel.fromJSON({ format: 'other' }, 'models/x/markov.json')).toThrow(/models\/x\/markov.json/);
  });

  it('rejects order 0', () => {
    expect(() => MarkovModel.train([], { order: 0 })).toThrow(/order/);
  });
});
