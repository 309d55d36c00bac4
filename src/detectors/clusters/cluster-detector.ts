import { LRUCache } from 'lru-cache';
import type { Detector, DetectorContext } from '../detector.js';
import type { Finding } from '../finding.js';
import type { SessionView } from '../../session/session-view.js';
import type { ToolCallEvent } from '../../normalize/events.js';
import { type EvidenceScale, provisionalScale, scaleFor, severityForScore } from '../evidence-scale.js';
import { formatProbability } from '../markov/index.js';
import { argumentValues } from '../argument-values.js';
import type { AgentContexts } from '../agent-contexts.js';
import { isConsequential } from '../call-reach.js';
import { tracksArguments, type ClusterBaselines } from './cluster-baselines.js';
import { ENTITY_KINDS, type KnownEntities } from './known-entities.js';
import type { ResultVocabulary } from './result-vocabulary.js';
import type { NoticeTest } from './outbound-notice.js';
import type { ClusterAssignment, PromptClusters } from './prompt-clusters.js';

/** Finding ids of the clusters detector; each has its own evidence scale. */
export const CLUSTER_EVIDENCE = [
  'rare-action',
  'rare-tool',
  'unusual-call-count',
  'novel-argument',
  'unfamiliar-entity',
  'action-after-unfamiliar-content',
  'prompt-out-of-distribution',
] as const;
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
  /** Without a prompt, the session is judged against its agent's sessions; absent: against all. */
  readonly agentContexts?: AgentContexts;
  /** Raw evidence -> finding score, per finding id (bits of surprise; relative distance for the prompt). */
  readonly scales?: Partial<Record<ClusterEvidence, EvidenceScale>>;
  /** The same for a session whose prompt is not known (yet); absent: `scales`. */
  readonly scalesWithoutPrompt?: Partial<Record<ClusterEvidence, EvidenceScale>>;
  readonly minScore?: number;
  /** Extra bits when a novel argument value was read from an earlier tool result and not given in the prompt. */
  readonly fromResultBits?: number;
  /** The entities training traffic mentioned; absent: no `unfamiliar-entity` evidence. */
  readonly knownEntities?: KnownEntities;
  /** The words each tool's training results carried; absent: no `action-after-unfamiliar-content` evidence. */
  readonly resultVocabulary?: ResultVocabulary;
  /**
   * Report `action-after-unfamiliar-content` at every action, as if unfamiliar content had been read:
   * how training calibrates that evidence against the actions of normal sessions.
   */
  readonly ungatedActionEvidence?: boolean;
  /** Sends that are notices (nothing read in them, known addresses) count as reads; absent: none are. */
  readonly isNotice?: NoticeTest;
}

export interface ClusterState {
  prompt: string;
  service: string;
  assignment: ClusterAssignment | undefined;
  /** The agent's context while there is no prompt, else -1. */
  context: number;
  readonly toolsSeen: Set<string>;
  /** Lower-cased results of the read calls so far (content from outside), bounded. */
  results: string;
  countReported: boolean;
  promptReported: boolean;
  /** The read result so far worded least like its tool's training results: bits, novel words, call. */
  content: { bits: number; novelWords: number; callIndex: number; tool: string };
}

/** Read results kept per session to compare argument values with. */
export const MAX_RESULT_CHARS = 200_000;
/** A tool name in a session's set of those seen: the entry and its string. */
const TOOL_SEEN_BYTES = 64;

/**
 * Evidence against the session's prompt cluster (without a prompt, its agent's sessions): tools (or, for
 * tools never seen, categories) that the cluster's sessions rarely use (actions, i.e. side-effecting
 * calls, sensitive reads and fetches from outside, as `rare-action`, calibrated apart from reads: harm
 * needs an action, while a different read is how another model takes another path), more calls than they
 * make, side-effecting calls and fetches with argument values or value shapes never seen for that
 * argument, such calls naming an address, URL, IBAN or phone number that no training traffic ever
 * mentioned (`unfamiliar-entity`), unexpected actions after a read result worded unlike that tool's normal
 * results (`action-after-unfamiliar-content`), and prompts far from every cluster.
 */
export function createClusterDetector(options: ClusterDetectorOptions): Detector<ClusterState> {
  const { baselines, resolvePrompt, knownEntities, resultVocabulary } = options;
  const minScore = options.minScore ?? 0.5;
  const fromResultBits = options.fromResultBits ?? 2;
  const defaultScale = (id: ClusterEvidence) => (): EvidenceScale => (id === 'prompt-out-of-distribution' ? (r) => r / (r + 1) : provisionalScale());
  const scaleOf = (id: ClusterEvidence, prompted: boolean): EvidenceScale =>
    scaleFor(id, prompted, options.scales, options.scalesWithoutPrompt, defaultScale(id));

  const resolve = (session: SessionView, state: ClusterState) => {
    if (session.prompt === state.prompt && session.service === state.service) return;
    state.prompt = session.prompt;
    state.service = session.service;
    state.assignment = resolvePrompt(session.prompt);
    state.context = session.prompt === '' ? (options.agentContexts?.contextOf(session) ?? -1) : -1;
  };

  const emit = (out: Finding[], state: ClusterState, id: ClusterEvidence, raw: number, message: string, callIndex: number, spanIds: readonly string[]) => {
    const score = scaleOf(id, state.prompt !== '')(raw);
    if (score < minScore) return;
    out.push({ detector: CLUSTERS_DETECTOR_ID, id, severity: severityForScore(score), score, message, callIndex, spanIds });
  };

  /** Emits the strongest unfamiliar entity of the call; returns its bits (0: none). */
  const unfamiliarEntity = (out: Finding[], known: KnownEntities, state: ClusterState, event: ToolCallEvent, prompt: string, callIndex: number): number => {
    let best: { bits: number; message: string } | undefined;
    for (const value of argumentValues(event.arguments)) {
      if (!ENTITY_KINDS.includes(value.kind) || prompt.includes(value.value)) continue;
      const familiarity = known.familiarity(value);
      if (familiarity.known) continue;
      const fromResults = state.results.includes(value.value);
      const bits = familiarity.valueBits + familiarity.shapeBits + (fromResults ? fromResultBits : 0);
      if (bits <= 0 || (best !== undefined && best.bits >= bits)) continue;
      const shape = familiarity.shapeBits > 0 ? `, nor any ${value.kind} at ${value.shape}` : '';
      const source = fromResults ? '; it appears in an earlier tool result, not in the prompt' : '';
      best = {
        bits,
        message:
          `${event.tool} ${value.path} = "${value.value.slice(0, 80)}": no training session mentioned this ${value.kind}${shape}` +
          ` (${familiarity.distinct} known over ${familiarity.mentions} mentions)${source}`,
      };
    }
    if (best === undefined) return 0;
    emit(out, state, 'unfamiliar-entity', best.bits, best.message, callIndex, [event.spanId]);
    return best.bits;
  };

  /**
   * An unexpected action after reading content worded unlike its tool's normal results. Odd wording
   * alone is an attack the agent may have resisted, and an odd action alone is how another model takes
   * another path: the action's surprise counts here only behind the content gate, calibrated against
   * the actions of normal sessions.
   */
  const actionAfterContent = (out: Finding[], state: ClusterState, event: ToolCallEvent, actionBits: number, callIndex: number) => {
    const content = state.content;
    if (actionBits <= 0 || (content.bits <= 0 && options.ungatedActionEvidence !== true)) return;
    emit(
      out,
      state,
      'action-after-unfamiliar-content',
      actionBits,
      `${event.tool} (${actionBits.toFixed(1)} bits unexpected) follows a ${content.tool} result (call ${content.callIndex})` +
        ` with ${content.novelWords} words never seen in that tool's training results`,
      callIndex,
      [event.spanId],
    );
  };

  const promptFinding = (out: Finding[], state: ClusterState, callIndex: number) => {
    const assignment = state.assignment;
    if (state.promptReported || assignment === undefined) return;
    state.promptReported = true;
    // Inside the radius of its cluster a prompt is not out of distribution at all.
    if (assignment.relativeDistance <= 1) return;
    emit(
      out,
      state,
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
        service: '',
        assignment: undefined,
        context: -1,
        toolsSeen: new Set(),
        results: '',
        countReported: false,
        promptReported: false,
        content: { bits: 0, novelWords: 0, callIndex: -1, tool: '' },
      };
      resolve(session, state);
      return state;
    },
    observe({ session, state, call }: DetectorContext<ClusterState>) {
      resolve(session, state);
      const out: Finding[] = [];
      const event = call.event;
      const cluster = state.assignment?.cluster ?? state.context;
      const agent = options.agentContexts?.agentOf(cluster);
      const scope = cluster < 0 ? 'all training sessions' : agent !== undefined ? `agent ${agent} (prompt not known)` : `prompt cluster ${cluster}`;
      promptFinding(out, state, call.index);

      const rarity = baselines.toolRarity(cluster, event.tool, event.toolClass.category);
      const action = isConsequential(event) && options.isNotice?.(session, call.index) !== true;
      // How unexpected this action is for the prompt: the strongest of its own kinds of evidence.
      let actionBits = action ? -Math.log2(rarity.probability) : 0;
      if (!state.toolsSeen.has(event.tool)) {
        state.toolsSeen.add(event.tool);
        const what = rarity.byCategory ? `${event.tool} (never seen; category ${event.toolClass.category})` : event.tool;
        emit(
          out,
          state,
          action ? 'rare-action' : 'rare-tool',
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
            state,
            'unusual-call-count',
            -Math.log2(tail.probability),
            `${call.index + 1} calls: sessions of ${scope} make at most ${tail.max}`,
            call.index,
            [event.spanId],
          );
        }
      }

      if (action && tracksArguments(event)) {
        const prompt = session.prompt.toLowerCase();
        if (knownEntities !== undefined) actionBits = Math.max(actionBits, unfamiliarEntity(out, knownEntities, state, event, prompt, call.index));
        let best: { bits: number; message: string } | undefined;
        for (const value of argumentValues(event.arguments)) {
          if (prompt.includes(value.value)) continue;
          // An address or link that training traffic mentioned is the user's own world: new for this
          // argument, perhaps, but not a stranger (unknown ones are `unfamiliar-entity` evidence).
          if (knownEntities !== undefined && ENTITY_KINDS.includes(value.kind) && knownEntities.familiarity(value).known) continue;
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
        if (best !== undefined) {
          emit(out, state, 'novel-argument', best.bits, best.message, call.index, [event.spanId]);
          actionBits = Math.max(actionBits, best.bits);
        }
      }
      // Sensitive reads count too: gathering personal data is often the first step a planted instruction asks for.
      if (action) actionAfterContent(out, state, event, actionBits, call.index);

      if (resultVocabulary !== undefined && event.toolClass.effect === 'read' && event.result !== '') {
        const novelty = resultVocabulary.novelty(event.tool, event.result);
        if (novelty !== undefined && resultVocabulary.isUnfamiliar(novelty) && novelty.bits > state.content.bits) {
          state.content = { bits: novelty.bits, novelWords: novelty.novelWords, callIndex: call.index, tool: event.tool };
        }
      }

      // Only what the agent read counts as outside content; a write's result echoes the agent's own data.
      if (event.toolClass.effect === 'read' && state.results.length < MAX_RESULT_CHARS && event.result !== '') {
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
    // The copy of what was read, and the tools seen.
    stateBytes: (state) => state.results.length + TOOL_SEEN_BYTES * state.toolsSeen.size,
    async shutdown() {},
  };
}
