import { LRUCache } from 'lru-cache';
import type { Detector, DetectorContext } from '../detector.js';
import type { Finding } from '../finding.js';
import type { SessionView } from '../../session/session-view.js';
import { type EvidenceScale, provisionalScale, severityForScore } from '../evidence-scale.js';
import { formatProbability } from '../markov/index.js';
import { argumentValues } from './argument-values.js';
import { isConsequential, tracksArguments, type ClusterBaselines } from './cluster-baselines.js';
import type { ClusterAssignment, PromptClusters } from './prompt-clusters.js';

/** Finding ids of the clusters detector; each has its own evidence scale. */
export const CLUSTER_EVIDENCE = ['rare-action', 'rare-tool', 'unusual-call-count', 'novel-argument', 'prompt-out-of-distribution'] as const;
export type ClusterEvidence = (typeof CLUSTER_EVIDENCE)[number];

export const CLUSTERS_DETECTOR_ID = 'clusters';

/** Prompt -> its cluster; undefined for an empty prompt. */
export type PromptResolver = (prompt: string) => ClusterAssignment | undefined;

/** Embeds and assigns prompts, caching the answer per prompt text (bounded). */
export function createPromptResolver(
  embedder: { embed(prompt: string): Float32Array },
  clusters: PromptClusters,
  cacheSize = 10_000,
): PromptResolver {
  const cache = new LRUCache<string, ClusterAssignment>({ max: cacheSize });
  return (prompt) => {
    if (prompt === '') return undefined;
    let assignment = cache.get(prompt);
    if (assignment === undefined) {
      assignment = clusters.assign(embedder.embed(prompt));
      cache.set(prompt, assignment);
    }
    return assignment;
  };
}

export interface ClusterDetectorOptions {
  readonly baselines: ClusterBaselines;
  readonly resolvePrompt: PromptResolver;
  /** Raw evidence -> finding score, per finding id (bits of surprise; relative distance for the prompt). */
  readonly scales?: Partial<Record<ClusterEvidence, EvidenceScale>>;
  readonly minScore?: number;
  /** Extra bits when a novel argument value was read from an earlier tool result and not given in the prompt. */
  readonly fromResultBits?: number;
}

export interface ClusterState {
  prompt: string;
  assignment: ClusterAssignment | undefined;
  readonly toolsSeen: Set<string>;
  /** Lower-cased results of the calls so far, bounded. */
  results: string;
  countReported: boolean;
  promptReported: boolean;
}

const MAX_RESULT_CHARS = 200_000;

/**
 * Evidence against the session's prompt cluster: tools (or, for tools never seen, categories) that the
 * cluster's sessions rarely use (side-effecting or sensitive ones as `rare-action`, calibrated apart
 * from reads: harm needs an action, while a different read is how another model takes another path), more calls than they make, side-effecting calls with argument values
 * or value shapes never seen for that argument, and prompts far from every cluster.
 */
export function createClusterDetector(options: ClusterDetectorOptions): Detector<ClusterState> {
  const { baselines, resolvePrompt } = options;
  const minScore = options.minScore ?? 0.5;
  const fromResultBits = options.fromResultBits ?? 2;
  const scaleOf = (id: ClusterEvidence): EvidenceScale =>
    options.scales?.[id] ?? (id === 'prompt-out-of-distribution' ? (r) => r / (r + 1) : provisionalScale());

  const resolve = (session: SessionView, state: ClusterState) => {
    if (session.prompt === state.prompt) return;
    state.prompt = session.prompt;
    state.assignment = resolvePrompt(session.prompt);
  };

  const emit = (out: Finding[], id: ClusterEvidence, raw: number, message: string, callIndex: number, spanIds: readonly string[]) => {
    const score = scaleOf(id)(raw);
    if (score < minScore) return;
    out.push({ detector: CLUSTERS_DETECTOR_ID, id, severity: severityForScore(score), score, message, callIndex, spanIds });
  };

  const promptFinding = (out: Finding[], state: ClusterState, callIndex: number) => {
    const assignment = state.assignment;
    if (state.promptReported || assignment === undefined) return;
    state.promptReported = true;
    // Inside the radius of its cluster a prompt is not out of distribution at all.
    if (assignment.relativeDistance <= 1) return;
    emit(
      out,
      'prompt-out-of-distribution',
      assignment.relativeDistance - 1,
      `the prompt is ${assignment.relativeDistance.toFixed(2)}x the radius of its nearest cluster ${assignment.cluster} away: an intent not seen in training`,
      callIndex,
      [],
    );
  };

  return {
    id: CLUSTERS_DETECTOR_ID,
    async preload() {},
    createState(session) {
      const state: ClusterState = {
        prompt: '',
        assignment: undefined,
        toolsSeen: new Set(),
        results: '',
        countReported: false,
        promptReported: false,
      };
      resolve(session, state);
      return state;
    },
    observe({ session, state, call }: DetectorContext<ClusterState>) {
      resolve(session, state);
      const out: Finding[] = [];
      const event = call.event;
      const cluster = state.assignment?.cluster ?? -1;
      const scope = cluster < 0 ? 'all training sessions' : `prompt cluster ${cluster}`;
      promptFinding(out, state, call.index);

      if (!state.toolsSeen.has(event.tool)) {
        state.toolsSeen.add(event.tool);
        const rarity = baselines.toolRarity(cluster, event.tool, event.toolClass.category);
        const what = rarity.byCategory ? `${event.tool} (never seen; category ${event.toolClass.category})` : event.tool;
        emit(
          out,
          isConsequential(event.toolClass) ? 'rare-action' : 'rare-tool',
          -Math.log2(rarity.probability),
          `${what} is used in ${rarity.sessionsWith} of ${rarity.sessions} sessions of ${scope} (learned probability ${formatProbability(rarity.probability)})`,
          call.index,
          [event.spanId],
        );
      }

      if (!state.countReported) {
        const tail = baselines.callCountTail(cluster, call.index + 1);
        if (call.index + 1 > tail.max) {
          state.countReported = true;
          emit(
            out,
            'unusual-call-count',
            -Math.log2(tail.probability),
            `${call.index + 1} calls: sessions of ${scope} make at most ${tail.max}`,
            call.index,
            [event.spanId],
          );
        }
      }

      if (tracksArguments(event)) {
        const prompt = session.prompt.toLowerCase();
        let best: { bits: number; message: string } | undefined;
        for (const value of argumentValues(event.arguments)) {
          if (prompt.includes(value.value)) continue;
          const novelty = baselines.argumentNovelty(cluster, event.tool, value);
          if (novelty.valueBits === 0 && novelty.shapeBits === 0) continue;
          const fromResults = state.results.includes(value.value);
          const bits = novelty.valueBits + novelty.shapeBits + (fromResults ? fromResultBits : 0);
          if (best !== undefined && best.bits >= bits) continue;
          const where = novelty.newToTraining ? 'any training session' : novelty.clusterLevel ? scope : 'all training sessions';
          const shape = novelty.shapeBits > 0 ? `; no ${value.kind} at ${value.shape} was ever seen there` : '';
          const source = fromResults ? '; it appears in an earlier tool result, not in the prompt' : '';
          best = {
            bits,
            message:
              `${event.tool} ${value.path} = "${value.value.slice(0, 80)}" was never seen for this argument in ${where}` +
              ` (${novelty.distinct} distinct values in ${novelty.observations} calls)${shape}${source}`,
          };
        }
        if (best !== undefined) emit(out, 'novel-argument', best.bits, best.message, call.index, [event.spanId]);
      }

      if (state.results.length < MAX_RESULT_CHARS && event.result !== '') {
        state.results += `\n${event.result.slice(0, MAX_RESULT_CHARS - state.results.length).toLowerCase()}`;
      }
      return out;
    },
    observeEnd(session, state) {
      resolve(session, state);
      const out: Finding[] = [];
      if (session.calls.length === 0) promptFinding(out, state, -1);
      return out;
    },
    async shutdown() {},
  };
}
