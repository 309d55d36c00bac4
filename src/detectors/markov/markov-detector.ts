import type { Detector, DetectorContext } from '../detector.js';
import type { Finding } from '../finding.js';
import { isConsequential } from '../call-reach.js';
import type { SessionView } from '../../session/session-view.js';
import type { AgentContexts } from '../agent-contexts.js';
import { END, type MarkovModel, type MarkovStep, type TransitionProbability } from './markov-model.js';
import { type EvidenceScale, provisionalScale, scaleFor, severityForScore } from '../evidence-scale.js';

export interface MarkovDetectorOptions {
  /** The prompt's cluster, -1 when none fits; absent: the global model only. */
  readonly clusterOf?: (prompt: string) => number;
  /** Without a prompt, the session's agent's context; absent: the global model. */
  readonly agentContexts?: AgentContexts;
  /** Bits of surprise -> finding score, per finding id. */
  readonly scales?: Partial<Record<MarkovEvidence, EvidenceScale>>;
  /** The same for a session whose prompt is not known (yet); absent: `scales`. */
  readonly scalesWithoutPrompt?: Partial<Record<MarkovEvidence, EvidenceScale>>;
  /** Findings below this score are not reported. */
  readonly minScore?: number;
  /**
   * Calls outside the modelled sequence: neither scored nor part of a later call's history (notices: they
   * do not move the task on). The model must have been trained on sequences without them, judged the
   * same way. Absent: every call is in the sequence.
   */
  readonly skipsSequence?: (session: SessionView, index: number) => boolean;
}

export interface MarkovState {
  /** The prompt and agent the cluster was resolved for (the prompt '' until known). */
  prompt: string;
  service: string;
  cluster: number;
  /** Highest per-call surprise so far, in bits. */
  maxSurprise: number;
  /** Sum of per-call surprise, in bits. */
  totalSurprise: number;
  calls: number;
}

export const MARKOV_DETECTOR_ID = 'markov';

/** Finding ids of the markov detector; each has its own evidence scale. */
export const MARKOV_EVIDENCE = ['improbable-action', 'improbable-transition', 'improbable-end'] as const;
export type MarkovEvidence = (typeof MARKOV_EVIDENCE)[number];

/**
 * Scores each call by how improbable the transition into it is under the session's prompt cluster (or,
 * without a prompt, its agent's; backing off to the global model), and the session's end by the
 * transition to END.
 */
export function createMarkovDetector(model: MarkovModel, options: MarkovDetectorOptions = {}): Detector<MarkovState> {
  const scaleOf = (id: MarkovEvidence, prompted: boolean) => scaleFor(id, prompted, options.scales, options.scalesWithoutPrompt, provisionalScale);
  const minScore = options.minScore ?? 0.5;
  const clusterOf = options.clusterOf;
  const skipsSequence = options.skipsSequence ?? (() => false);

  const { agentContexts } = options;
  const resolveCluster = (session: SessionView, state: MarkovState): void => {
    if (session.prompt === state.prompt && session.service === state.service) return;
    state.prompt = session.prompt;
    state.service = session.service;
    state.cluster = session.prompt !== '' ? (clusterOf?.(session.prompt) ?? -1) : (agentContexts?.contextOf(session) ?? -1);
  };
  const scopeOf = (cluster: number): string => {
    const agent = agentContexts?.agentOf(cluster);
    return agent === undefined ? `prompt cluster ${cluster}` : `agent ${agent}, prompt not known`;
  };

  const finding = (session: SessionView, id: MarkovEvidence, surprise: number, message: string, callIndex: number, spanIds: readonly string[]): Finding[] => {
    const score = scaleOf(id, session.prompt !== '')(surprise);
    if (score < minScore) return [];
    return [
      {
        detector: MARKOV_DETECTOR_ID,
        id,
        severity: severityForScore(score),
        score,
        message,
        callIndex,
        spanIds,
      },
    ];
  };

  return {
    id: MARKOV_DETECTOR_ID,
    async preload() {},
    createState(session) {
      const state: MarkovState = { prompt: '', service: '', cluster: -1, maxSurprise: 0, totalSurprise: 0, calls: 0 };
      resolveCluster(session, state);
      return state;
    },
    observe({ session, state, call }: DetectorContext<MarkovState>) {
      resolveCluster(session, state);
      if (skipsSequence(session, call.index)) return [];
      const history = historyBefore(session, call.index, model.order, skipsSequence);
      const step = stepOf(call.event);
      const transition = model.probability(history, step, state.cluster);
      const surprise = -Math.log2(transition.probability);
      state.maxSurprise = Math.max(state.maxSurprise, surprise);
      state.totalSurprise += surprise;
      state.calls++;
      const previous = history.length === 0 ? 'session start' : (history[history.length - 1] as MarkovStep).tool;
      const message =
        `call ${call.index}: ${previous} -> ${step.tool} has learned probability ${formatProbability(transition.probability)}` +
        ` (${surprise.toFixed(1)} bits, ${describeBasis(transition, scopeOf(state.cluster), step)})`;
      // Transitions into actions, sensitive reads and fetches from outside are calibrated apart from
      // other reads: another model's different reads are normal.
      const id = isConsequential(call.event) ? 'improbable-action' : 'improbable-transition';
      return finding(session, id, surprise, message, call.index, [call.event.spanId]);
    },
    observeEnd(session, state) {
      resolveCluster(session, state);
      if (session.calls.length === 0) return [];
      const history = historyBefore(session, session.calls.length, model.order, skipsSequence);
      const transition = model.probability(history, END, state.cluster);
      const surprise = -Math.log2(transition.probability);
      const last = history.length === 0 ? 'messages only' : (history[history.length - 1] as MarkovStep).tool;
      const message =
        `the session ended after ${last}: learned probability ${formatProbability(transition.probability)}` +
        ` (${surprise.toFixed(1)} bits, ${describeBasis(transition, scopeOf(state.cluster), undefined)})`;
      // Known only once the session is over: it counts from its last call, not before its first.
      return finding(session, 'improbable-end', surprise, message, session.calls.length - 1, []);
    },
    async shutdown() {},
  };
}

function stepOf(event: { readonly tool: string; readonly toolClass: { readonly category: string } }): MarkovStep {
  return { tool: event.tool, category: event.toolClass.category };
}

/** The last `order` steps before `index`, oldest first, without the calls outside the sequence. */
function historyBefore(session: SessionView, index: number, order: number, skips: (session: SessionView, index: number) => boolean): MarkovStep[] {
  const history: MarkovStep[] = [];
  for (let i = index - 1; i >= 0 && history.length < order; i--) {
    const record = session.calls[i];
    if (record !== undefined && !skips(session, i)) history.unshift(stepOf(record.event));
  }
  return history;
}

function describeBasis(transition: TransitionProbability, clusterScope: string, step: MarkovStep | undefined): string {
  const scope = transition.clusterUsed ? clusterScope : 'global model';
  if (transition.basis === 'tool') return scope;
  const what = step === undefined ? 'its category' : `category ${step.category}`;
  return `${scope}, by ${what}: tool or context not seen in training`;
}

export function formatProbability(p: number): string {
  return p >= 0.01 ? p.toFixed(3) : p.toExponential(1);
}
