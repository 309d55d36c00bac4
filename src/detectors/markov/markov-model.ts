/** Marks the positions before the first call and after the last one. */
export const START = '<start>';
export const END = '<end>';

/** One call as the Markov model sees it. */
export interface MarkovStep {
  readonly tool: string;
  readonly category: string;
}

export interface MarkovSequence {
  readonly steps: readonly MarkovStep[];
  /** Prompt cluster of the session, or -1 when unknown. */
  readonly cluster: number;
  /** Its agent's context (counted in that table too, not again in the global one); absent or -1: none. */
  readonly context?: number;
}

export interface MarkovOptions {
  /** Longest context, in calls; 1 is a first-order chain. */
  readonly order: number;
}

export const DEFAULT_MARKOV_OPTIONS: MarkovOptions = { order: 2 };

/** How a probability was reached, for explanations. */
export type MarkovBasis = 'tool' | 'category';

export interface TransitionProbability {
  readonly probability: number;
  /** `tool` when both the tool and its context were seen in training, else the category chain. */
  readonly basis: MarkovBasis;
  /** Whether the prompt cluster's own counts took part (false: global model only). */
  readonly clusterUsed: boolean;
}

/** Counts of `next` after one context. */
interface ContextCounts {
  total: number;
  readonly next: Map<string, number>;
}

/** Counts per context for one order: context key -> counts. */
type OrderTable = Map<string, ContextCounts>;

/** order 0..n tables for one chain (tools or categories) in one scope (global or a cluster). */
type ChainTables = OrderTable[];

const KEY_SEPARATOR = '\u0001';
export const MARKOV_FORMAT = 'chainwatch.markov/1';

/**
 * A Markov chain over a session's tool sequence with START/END states.
 *
 * Estimates use interpolated Witten-Bell smoothing: at each order,
 *   P_k(w | h) = (c(h, w) + T(h) * P_{k-1}(w | h')) / (c(h) + T(h)),
 * where T(h) is the number of distinct tokens seen after h; a context never seen passes P_{k-1} through.
 * The chain runs cluster orders n..1, then global orders n..0, then a uniform base over the known
 * tokens plus one slot for "anything else". A tool never seen in training (or a context that holds one)
 * is scored on the parallel category chain: P(category | category context) times the chance that a call
 * of that category is to a tool never seen before (Witten-Bell again: distinct tools / (calls + distinct)).
 */
export class MarkovModel {
  readonly order: number;
  private readonly toolTables: ChainTables;
  private readonly categoryTables: ChainTables;
  private readonly clusterToolTables: Map<number, ChainTables>;
  private readonly clusterCategoryTables: Map<number, ChainTables>;
  /** Calls per tool, and per category the calls and distinct tools. */
  private readonly toolCounts: Map<string, number>;
  private readonly categoryCalls: Map<string, number>;
  private readonly categoryTools: Map<string, number>;

  private constructor(order: number) {
    this.order = order;
    this.toolTables = emptyChain(order);
    this.categoryTables = emptyChain(order);
    this.clusterToolTables = new Map();
    this.clusterCategoryTables = new Map();
    this.toolCounts = new Map();
    this.categoryCalls = new Map();
    this.categoryTools = new Map();
  }

  static train(sequences: Iterable<MarkovSequence>, options: Partial<MarkovOptions> = {}): MarkovModel {
    const { order } = { ...DEFAULT_MARKOV_OPTIONS, ...options };
    if (!Number.isInteger(order) || order < 1) throw new RangeError(`markov order must be an integer >= 1, got ${order}`);
    const model = new MarkovModel(order);
    for (const sequence of sequences) model.add(sequence);
    return model;
  }

  private add(sequence: MarkovSequence): void {
    const tools = padded(sequence.steps.map((s) => s.tool), this.order);
    const categories = padded(sequence.steps.map((s) => s.category), this.order);
    countChain(this.toolTables, tools, this.order);
    countChain(this.categoryTables, categories, this.order);
    for (const id of [sequence.cluster, sequence.context ?? -1]) {
      if (id < 0) continue;
      countChain(chainFor(this.clusterToolTables, id, this.order), tools, this.order);
      countChain(chainFor(this.clusterCategoryTables, id, this.order), categories, this.order);
    }
    for (const step of sequence.steps) {
      const before = this.toolCounts.get(step.tool) ?? 0;
      this.toolCounts.set(step.tool, before + 1);
      this.categoryCalls.set(step.category, (this.categoryCalls.get(step.category) ?? 0) + 1);
      if (before === 0) this.categoryTools.set(step.category, (this.categoryTools.get(step.category) ?? 0) + 1);
    }
  }

  /** True when the tool was called in training. */
  knowsTool(tool: string): boolean {
    return this.toolCounts.has(tool);
  }

  get clusterCount(): number {
    return this.clusterToolTables.size;
  }

  /**
   * Probability of `next` (a step, or END) after `history` (the session's earlier steps, oldest first;
   * only the last `order` are read). `cluster` -1 uses the global model alone.
   */
  probability(history: readonly MarkovStep[], next: MarkovStep | typeof END, cluster = -1): TransitionProbability {
    const nextTool = next === END ? END : next.tool;
    const nextCategory = next === END ? END : next.category;
    const context = history.slice(Math.max(0, history.length - this.order));
    const clusterTools = cluster >= 0 ? this.clusterToolTables.get(cluster) : undefined;
    const toolKnown = nextTool === END || this.toolCounts.has(nextTool);
    const contextKnown = context.every((s) => this.toolCounts.has(s.tool));
    if (toolKnown && contextKnown) {
      const tokens = padContext(context.map((s) => s.tool), this.order);
      const base = 1 / (this.toolCounts.size + 2);
      const probability = chainProbability(this.toolTables, clusterTools, tokens, nextTool, base);
      return { probability, basis: 'tool', clusterUsed: clusterTools !== undefined };
    }
    const clusterCategories = cluster >= 0 ? this.clusterCategoryTables.get(cluster) : undefined;
    const tokens = padContext(context.map((s) => s.category), this.order);
    const base = 1 / (this.categoryCalls.size + 2);
    const categoryProbability = chainProbability(this.categoryTables, clusterCategories, tokens, nextCategory, base);
    return {
      probability: categoryProbability * this.toolWithinCategory(nextTool, nextCategory),
      basis: 'category',
      clusterUsed: clusterCategories !== undefined,
    };
  }

  /** P(this tool | a call of its category): its share for a known tool, the new-tool mass for another. */
  private toolWithinCategory(tool: string, category: string): number {
    if (tool === END) return 1;
    const calls = this.categoryCalls.get(category) ?? 0;
    const distinct = this.categoryTools.get(category) ?? 0;
    if (calls === 0) return 1;
    const known = this.toolCounts.get(tool);
    return known === undefined ? distinct / (calls + distinct) : known / (calls + distinct);
  }

  toJSON(): SerializedMarkovModel {
    return {
      format: MARKOV_FORMAT,
      order: this.order,
      tools: serializeChain(this.toolTables),
      categories: serializeChain(this.categoryTables),
      clusters: [...this.clusterToolTables.keys()].sort((a, b) => a - b).map((cluster) => ({
        cluster,
        tools: serializeChain(this.clusterToolTables.get(cluster) ?? []),
        categories: serializeChain(this.clusterCategoryTables.get(cluster) ?? []),
      })),
      toolCounts: Object.fromEntries([...this.toolCounts].sort(byKey)),
      categoryCalls: Object.fromEntries([...this.categoryCalls].sort(byKey)),
      categoryTools: Object.fromEntries([...this.categoryTools].sort(byKey)),
    };
  }

  static fromJSON(value: unknown, where = 'markov model'): MarkovModel {
    const data = value as Partial<SerializedMarkovModel> | null;
    if (data === null || typeof data !== 'object' || data.format !== MARKOV_FORMAT) {
      throw new Error(`${where}: expected format ${MARKOV_FORMAT}`);
    }
    const order = data.order;
    if (typeof order !== 'number' || !Number.isInteger(order) || order < 1) throw new Error(`${where}: bad order`);
    const model = new MarkovModel(order);
    readChain(model.toolTables, data.tools, `${where}.tools`);
    readChain(model.categoryTables, data.categories, `${where}.categories`);
    if (!Array.isArray(data.clusters)) throw new Error(`${where}: clusters must be an array`);
    for (const entry of data.clusters) {
      if (typeof entry?.cluster !== 'number') throw new Error(`${where}: cluster entry without a number`);
      readChain(chainFor(model.clusterToolTables, entry.cluster, order), entry.tools, `${where}.clusters`);
      readChain(chainFor(model.clusterCategoryTables, entry.cluster, order), entry.categories, `${where}.clusters`);
    }
    readCounts(model.toolCounts, data.toolCounts, `${where}.toolCounts`);
    readCounts(model.categoryCalls, data.categoryCalls, `${where}.categoryCalls`);
    readCounts(model.categoryTools, data.categoryTools, `${where}.categoryTools`);
    return model;
  }
}

/** [context tokens..., next, count] per row, for each order 0..n. */
type SerializedChain = Array<Array<[string[], string, number]>>;

export interface SerializedMarkovModel {
  readonly format: typeof MARKOV_FORMAT;
  readonly order: number;
  readonly tools: SerializedChain;
  readonly categories: SerializedChain;
  readonly clusters: Array<{ cluster: number; tools: SerializedChain; categories: SerializedChain }>;
  readonly toolCounts: Record<string, number>;
  readonly categoryCalls: Record<string, number>;
  readonly categoryTools: Record<string, number>;
}

function emptyChain(order: number): ChainTables {
  return Array.from({ length: order + 1 }, () => new Map());
}

function chainFor(map: Map<number, ChainTables>, cluster: number, order: number): ChainTables {
  let chain = map.get(cluster);
  if (chain === undefined) {
    chain = emptyChain(order);
    map.set(cluster, chain);
  }
  return chain;
}

function padded(tokens: readonly string[], order: number): string[] {
  return [...Array<string>(order).fill(START), ...tokens, END];
}

function padContext(tokens: readonly string[], order: number): string[] {
  return [...Array<string>(Math.max(0, order - tokens.length)).fill(START), ...tokens];
}

function contextKey(tokens: readonly string[], k: number): string {
  return tokens.slice(tokens.length - k).join(KEY_SEPARATOR);
}

function countChain(chain: ChainTables, tokens: readonly string[], order: number): void {
  for (let i = order; i < tokens.length; i++) {
    const next = tokens[i] as string;
    const context = tokens.slice(i - order, i);
    for (let k = 0; k <= order; k++) bump(chain[k] as OrderTable, k === 0 ? '' : contextKey(context, k), next, 1);
  }
}

function bump(table: OrderTable, key: string, next: string, count: number): void {
  let counts = table.get(key);
  if (counts === undefined) {
    counts = { total: 0, next: new Map() };
    table.set(key, counts);
  }
  counts.total += count;
  counts.next.set(next, (counts.next.get(next) ?? 0) + count);
}

/** Witten-Bell step: mixes one context's counts with the lower-order estimate. */
function interpolate(table: OrderTable | undefined, key: string, next: string, lower: number): number {
  const counts = table?.get(key);
  if (counts === undefined || counts.total === 0) return lower;
  const distinct = counts.next.size;
  return ((counts.next.get(next) ?? 0) + distinct * lower) / (counts.total + distinct);
}

function chainProbability(
  global: ChainTables,
  cluster: ChainTables | undefined,
  context: readonly string[],
  next: string,
  base: number,
): number {
  let p = base;
  for (let k = 0; k < global.length; k++) p = interpolate(global[k], k === 0 ? '' : contextKey(context, k), next, p);
  if (cluster !== undefined) {
    for (let k = 1; k < cluster.length; k++) p = interpolate(cluster[k], contextKey(context, k), next, p);
  }
  return p;
}

function byKey(a: [string, number], b: [string, number]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function serializeChain(chain: ChainTables): SerializedChain {
  return chain.map((table) => {
    const rows: Array<[string[], string, number]> = [];
    for (const [key, counts] of [...table].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      const context = key === '' ? [] : key.split(KEY_SEPARATOR);
      for (const [next, count] of [...counts.next].sort(byKey)) rows.push([context, next, count]);
    }
    return rows;
  });
}

function readChain(chain: ChainTables, rows: unknown, where: string): void {
  if (!Array.isArray(rows) || rows.length !== chain.length) throw new Error(`${where}: expected ${chain.length} orders`);
  rows.forEach((orderRows: unknown, k) => {
    if (!Array.isArray(orderRows)) throw new Error(`${where}[${k}]: expected an array`);
    for (const row of orderRows as unknown[]) {
      if (!Array.isArray(row) || !Array.isArray(row[0]) || typeof row[1] !== 'string' || typeof row[2] !== 'number') {
        throw new Error(`${where}[${k}]: bad row ${JSON.stringify(row)}`);
      }
      if ((row[0] as unknown[]).length !== k) throw new Error(`${where}[${k}]: context of the wrong length`);
      bump(chain[k] as OrderTable, (row[0] as string[]).join(KEY_SEPARATOR), row[1], row[2]);
    }
  });
}

function readCounts(map: Map<string, number>, value: unknown, where: string): void {
  if (value === null || typeof value !== 'object') throw new Error(`${where}: expected an object`);
  for (const [key, count] of Object.entries(value)) {
    if (typeof count !== 'number') throw new Error(`${where}.${key}: expected a number`);
    map.set(key, count);
  }
}
