import type { ToolCallEvent } from '../../normalize/events.js';
import { reachesOutside } from '../call-reach.js';
import { argumentValues, type ArgumentValue } from '../argument-values.js';

/** Distinct values kept per (cluster, tool, argument); beyond it the argument counts as free text. */
export const MAX_DISTINCT_VALUES = 256;

interface ArgumentStats {
  observations: number;
  /** value -> times seen; emptied once `free`. */
  readonly values: Map<string, number>;
  free: boolean;
}

/** Normal behaviour of the sessions of one prompt cluster (or of all sessions: the global baseline). */
interface Baseline {
  sessions: number;
  readonly toolSessions: Map<string, number>;
  readonly categorySessions: Map<string, number>;
  /** call count -> sessions with that many calls */
  readonly callCounts: Map<number, number>;
  /** `tool \u0001 path` -> values seen */
  readonly args: Map<string, ArgumentStats>;
  /** `tool \u0001 path` -> shapes (e-mail domain, URL host, IBAN country) seen */
  readonly shapes: Map<string, Map<string, number>>;
}

export interface ToolRarity {
  /** Smoothed P(a session of this cluster uses the tool). */
  readonly probability: number;
  readonly sessionsWith: number;
  readonly sessions: number;
  /** True when the tool was never called in training: the estimate is the category's. */
  readonly byCategory: boolean;
}

export interface ArgumentNovelty {
  /** -log2 P(a new value) (Witten-Bell: (distinct + 1) / (calls + distinct + 1)); 0 when seen. */
  readonly valueBits: number;
  /** No training session passed this value to this argument. */
  readonly newToTraining: boolean;
  /** -log2 P(a new shape) for the argument across all training, 0 when seen or not an entity. */
  readonly shapeBits: number;
  readonly observations: number;
  readonly distinct: number;
  /** Whether the cluster's own statistics were used (else the global baseline's). */
  readonly clusterLevel: boolean;
}

export interface TrainingSession {
  readonly prompt: string;
  readonly calls: readonly ToolCallEvent[];
}

const SEP = '\u0001';
export const BASELINES_FORMAT = 'chainwatch.cluster-baselines/1';

/**
 * Per prompt cluster: which tools and categories its sessions use, how many calls they make, and which
 * argument values (and value shapes) its side-effecting calls and fetches from outside carry. A global
 * baseline backs each up.
 */
export class ClusterBaselines {
  private readonly global: Baseline;
  private readonly clusters: Baseline[];

  private constructor(global: Baseline, clusters: Baseline[]) {
    this.global = global;
    this.clusters = clusters;
  }

  /** Contexts with a baseline: the prompt clusters, then the agents. */
  get contextCount(): number {
    return this.clusters.length;
  }

  /**
   * `k` baselines: the prompt clusters', then the agents' (`contextOfSession`, ids from the first agent
   * context on): a session counts in the global baseline once, and in its cluster's and its agent's.
   */
  static build(sessions: readonly TrainingSession[], clusterOfSession: readonly number[], k: number, contextOfSession: readonly number[] = []): ClusterBaselines {
    const global = emptyBaseline();
    const clusters = Array.from({ length: k }, emptyBaseline);
    sessions.forEach((session, i) => {
      addSession(global, session);
      for (const id of [clusterOfSession[i] ?? -1, contextOfSession[i] ?? -1]) {
        const own = clusters[id];
        if (own !== undefined) addSession(own, session);
      }
    });
    return new ClusterBaselines(global, clusters);
  }

  get clusterCount(): number {
    return this.clusters.length;
  }

  sessionsIn(cluster: number): number {
    return this.baseline(cluster).sessions;
  }

  /** How usual it is for a session of the cluster to call this tool at all. */
  toolRarity(cluster: number, tool: string, category: string): ToolRarity {
    const own = this.baseline(cluster);
    const known = this.global.toolSessions.has(tool);
    const counts = known ? (b: Baseline) => b.toolSessions.get(tool) ?? 0 : (b: Baseline) => b.categorySessions.get(category) ?? 0;
    const globalP = (counts(this.global) + 0.5) / (this.global.sessions + 1);
    const sessionsWith = counts(own);
    // One pseudo-session of global behaviour keeps a small cluster from ruling out what others do.
    let probability = own === this.global ? globalP : (sessionsWith + globalP) / (own.sessions + 1);
    if (!known) probability *= 0.5;
    return { probability, sessionsWith, sessions: own.sessions, byCategory: !known };
  }

  /** The share of the cluster's sessions with at least `calls` calls (smoothed). */
  callCountTail(cluster: number, calls: number): { probability: number; max: number } {
    const own = this.baseline(cluster);
    let atLeast = 0;
    let max = 0;
    for (const [count, sessions] of own.callCounts) {
      if (count >= calls) atLeast += sessions;
      max = Math.max(max, count);
    }
    return { probability: (atLeast + 0.5) / (own.sessions + 1), max };
  }

  /**
   * How new this value is for the tool's argument: surprise of a new value in the cluster (in the global
   * baseline when the cluster never passed that argument), and how new its shape is anywhere.
   */
  argumentNovelty(cluster: number, tool: string, value: ArgumentValue): ArgumentNovelty {
    const key = tool + SEP + value.path;
    const ownBaseline = this.baseline(cluster);
    const own = ownBaseline === this.global ? undefined : ownBaseline.args.get(key);
    const global = this.global.args.get(key);
    const usable = own !== undefined && own.observations > 0 ? own : undefined;
    const valueBits = newValueBits(usable ?? global, value.value);
    const newToTraining = global === undefined || (!global.free && !global.values.has(value.value));
    let shapeBits = 0;
    const shapes = this.global.shapes.get(key);
    if (value.shape !== '' && shapes !== undefined && !shapes.has(value.shape)) {
      let total = 0;
      for (const n of shapes.values()) total += n;
      shapeBits = -Math.log2((shapes.size + 1) / (total + shapes.size + 1));
    }
    const stats = usable ?? global;
    return {
      valueBits,
      newToTraining,
      shapeBits,
      observations: stats?.observations ?? 0,
      distinct: stats?.values.size ?? 0,
      clusterLevel: usable !== undefined,
    };
  }

  private baseline(cluster: number): Baseline {
    return this.clusters[cluster] ?? this.global;
  }

  toJSON(): SerializedClusterBaselines {
    return { format: BASELINES_FORMAT, global: serialize(this.global), clusters: this.clusters.map(serialize) };
  }

  static fromJSON(value: unknown, where = 'cluster baselines'): ClusterBaselines {
    const data = value as Partial<SerializedClusterBaselines> | null;
    if (data === null || typeof data !== 'object' || data.format !== BASELINES_FORMAT || data.global === undefined || !Array.isArray(data.clusters)) {
      throw new Error(`${where}: expected format ${BASELINES_FORMAT} with global and clusters`);
    }
    return new ClusterBaselines(
      deserialize(data.global, `${where}.global`),
      data.clusters.map((c, i) => deserialize(c, `${where}.clusters[${i}]`)),
    );
  }
}

/**
 * Only calls that change something or reach outside carry argument baselines: a harmful value needs a
 * side effect, or a destination (a fetched URL is where the request goes, and what it can carry out).
 */
export function tracksArguments(event: ToolCallEvent): boolean {
  return event.toolClass.effect !== 'read' || reachesOutside(event);
}

function newValueBits(stats: ArgumentStats | undefined, value: string): number {
  if (stats === undefined || stats.free || stats.observations === 0 || stats.values.has(value)) return 0;
  const distinct = stats.values.size;
  return -Math.log2((distinct + 1) / (stats.observations + distinct + 1));
}

function emptyBaseline(): Baseline {
  return { sessions: 0, toolSessions: new Map(), categorySessions: new Map(), callCounts: new Map(), args: new Map(), shapes: new Map() };
}

function addSession(baseline: Baseline, session: TrainingSession): void {
  baseline.sessions++;
  for (const tool of new Set(session.calls.map((c) => c.tool))) increment(baseline.toolSessions, tool);
  for (const category of new Set(session.calls.map((c) => c.toolClass.category))) increment(baseline.categorySessions, category);
  increment(baseline.callCounts, session.calls.length);
  for (const call of session.calls) {
    if (!tracksArguments(call)) continue;
    for (const value of argumentValues(call.arguments)) {
      const key = call.tool + SEP + value.path;
      let stats = baseline.args.get(key);
      if (stats === undefined) {
        stats = { observations: 0, values: new Map(), free: false };
        baseline.args.set(key, stats);
      }
      stats.observations++;
      if (!stats.free) {
        increment(stats.values, value.value);
        if (stats.values.size > MAX_DISTINCT_VALUES) {
          stats.free = true;
          stats.values.clear();
        }
      }
      if (value.shape !== '') {
        let shapes = baseline.shapes.get(key);
        if (shapes === undefined) {
          shapes = new Map();
          baseline.shapes.set(key, shapes);
        }
        increment(shapes, value.shape);
      }
    }
  }
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

interface SerializedBaseline {
  sessions: number;
  toolSessions: Record<string, number>;
  categorySessions: Record<string, number>;
  callCounts: Array<[number, number]>;
  args: Array<{ tool: string; path: string; observations: number; free: boolean; values: Record<string, number> }>;
  shapes: Array<{ tool: string; path: string; shapes: Record<string, number> }>;
}

export interface SerializedClusterBaselines {
  readonly format: typeof BASELINES_FORMAT;
  readonly global: SerializedBaseline;
  readonly clusters: SerializedBaseline[];
}

function serialize(b: Baseline): SerializedBaseline {
  const split = (key: string) => {
    const at = key.indexOf(SEP);
    return { tool: key.slice(0, at), path: key.slice(at + 1) };
  };
  return {
    sessions: b.sessions,
    toolSessions: Object.fromEntries(b.toolSessions),
    categorySessions: Object.fromEntries(b.categorySessions),
    callCounts: [...b.callCounts].sort((x, y) => x[0] - y[0]),
    args: [...b.args].map(([key, s]) => ({ ...split(key), observations: s.observations, free: s.free, values: Object.fromEntries(s.values) })),
    shapes: [...b.shapes].map(([key, s]) => ({ ...split(key), shapes: Object.fromEntries(s) })),
  };
}

function deserialize(data: SerializedBaseline, where: string): Baseline {
  if (typeof data?.sessions !== 'number' || !Array.isArray(data.args) || !Array.isArray(data.shapes) || !Array.isArray(data.callCounts)) {
    throw new Error(`${where}: malformed baseline`);
  }
  return {
    sessions: data.sessions,
    toolSessions: new Map(Object.entries(data.toolSessions ?? {})),
    categorySessions: new Map(Object.entries(data.categorySessions ?? {})),
    callCounts: new Map(data.callCounts),
    args: new Map(
      data.args.map((a) => [a.tool + SEP + a.path, { observations: a.observations, free: a.free, values: new Map(Object.entries(a.values)) }]),
    ),
    shapes: new Map(data.shapes.map((s) => [s.tool + SEP + s.path, new Map(Object.entries(s.shapes))])),
  };
}
