import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Detector } from '../detectors/detector.js';
import {
  MARKOV_DETECTOR_ID,
  MARKOV_EVIDENCE,
  MarkovModel,
  createMarkovDetector,
  type MarkovSequence,
  type MarkovStep,
} from '../detectors/markov/index.js';
import { AgentContexts } from '../detectors/agent-contexts.js';
import type { EvidenceScale } from '../detectors/evidence-scale.js';
import type { Finding } from '../detectors/finding.js';
import {
  CLUSTERS_DETECTOR_ID,
  CLUSTER_EVIDENCE,
  ClusterBaselines,
  KnownEntities,
  PromptClusters,
  ResultVocabulary,
  PromptEmbedder,
  UsageVocabulary,
  createClusterDetector,
  createNoticeTest,
  seededRandom,
  selectTfBackend,
  shuffleInPlace,
  type ClusterAssignment,
  type NoticeTest,
  type PromptClusterOptions,
  type PromptEmbedderOptions,
} from '../detectors/clusters/index.js';
import { calibrate } from './calibrate.js';
import { usagePredictionScore } from './usage-prediction-score.js';
import { combineRisk, DEFAULT_EVIDENCE_WEIGHTS, findingBits } from '../scoring/risk-combiner.js';
import { EmpiricalScale } from '../scoring/empirical-scale.js';
import { MODEL_FILES, MODEL_FORMAT_VERSION, type ModelManifest, type ThresholdsFile } from './model-files.js';
import { replaySession, sessionView, type NormalizedSession } from './replay-session.js';

export type TrainingProgress = (stage: TrainingStage, done: number, total: number) => void;
export type TrainingStage = 'embedder' | 'clusters' | 'baselines' | 'calibration' | 'writing';

export interface TrainModelOptions {
  readonly sessions: readonly NormalizedSession[];
  /** Reserved for the catalog's tool classes; the sessions' events already carry them. */
  readonly catalog?: unknown;
  readonly targetFpr?: number;
  readonly outDir: string;
  readonly progress?: TrainingProgress;
  /** Distinct prompts the embedder and the clustering are fitted on (a seeded sample beyond it). */
  readonly maxFitPrompts?: number;
  readonly log?: (message: string) => void;
  readonly markovOrder?: number;
  /** Folds for held-out calibration scores. */
  readonly folds?: number;
  /**
   * A group per session (in `sessions` order), e.g. the agent's model: calibration folds keep each group
   * whole, so held-out evidence shows how agents the model was not trained on behave. Absent: random folds.
   */
  readonly groups?: readonly string[];
  readonly seed?: number;
  readonly embedder?: Partial<PromptEmbedderOptions>;
  readonly clusters?: Partial<PromptClusterOptions>;
  /** Evidence weights per kind for the combined risk (defaults: DEFAULT_EVIDENCE_WEIGHTS). */
  readonly weights?: Readonly<Record<string, number>>;
  /**
   * The rules the service will run beside the model, and their files (for the manifest): their findings
   * add to a session's risk in scoring, so they count in the held-out sessions the thresholds are set on.
   */
  readonly rules?: { readonly detector: Detector; readonly files: readonly string[] };
}

export interface TrainModelResult {
  readonly manifest: ModelManifest;
  readonly thresholds: ThresholdsFile;
  /** Combined evidence bits of each held-out benign session, in input order. */
  readonly heldOutBits: readonly number[];
  /** The same, each session judged without its prompt (on the scales for that state). */
  readonly heldOutBitsWithoutPrompt: readonly number[];
}

/** Raw values are in bits except the prompt distance (a ratio to the cluster radius). */
const TAIL_UNITS: Record<string, number> = { [`${CLUSTERS_DETECTOR_ID}/prompt-out-of-distribution`]: 0.25 };
/** Findings weaker than the median benign evidence are not reported (the detectors' default minScore). */
export const REPORT_MIN_SCORE = 0.5;
/** The risk levels sit a decade either side of the alert's rate (detection-setup): above 10% they collapse. */
export const MAX_TARGET_FPR = 0.1;
const OPERATING_FPRS = [0.001, 0.005, 0.01, 0.02, 0.05];
const ACTION_AFTER_CONTENT = `${CLUSTERS_DETECTOR_ID}/action-after-unfamiliar-content`;
/** At most this share of held-out normal sessions read a result counted as unfamiliar. */
const CONTENT_UNUSUAL_SHARE = 0.01;

/**
 * Trains the learned detectors on normal sessions and writes a model folder. Thresholds come from
 * held-out scores: the sessions are split into folds, and each fold is scored by a Markov model and
 * baselines trained without it (the embedder and clusters are shared: they see prompts, not outcomes).
 */
const MAX_FIT_PROMPTS = 6_000;

/** A seeded sample of `max` prompts, or all of them. */
function samplePrompts(prompts: readonly string[], max: number, seed: number): string[] {
  if (prompts.length <= max) return [...prompts];
  return shuffleInPlace([...prompts], seededRandom(seed ^ 0x9e3779b9)).slice(0, max);
}

export async function trainModel(options: TrainModelOptions): Promise<TrainModelResult> {
  const sessions = options.sessions;
  if (sessions.length < 2) throw new Error(`trainModel: need at least 2 sessions, got ${sessions.length}`);
  if (options.groups !== undefined && options.groups.length !== sessions.length) {
    throw new Error(`trainModel: ${options.groups.length} groups for ${sessions.length} sessions`);
  }
  const targetFpr = options.targetFpr ?? 0.01;
  if (!(targetFpr > 0 && targetFpr <= MAX_TARGET_FPR)) {
    throw new RangeError(`trainModel: the target false-positive rate must be in (0, ${MAX_TARGET_FPR}], got ${targetFpr}`);
  }
  const order = options.markovOrder ?? 2;
  const folds = Math.max(2, Math.min(options.folds ?? 5, sessions.length));
  const seed = options.seed ?? 1;
  const progress = options.progress ?? (() => {});
  const log = options.log ?? (() => {});

  const backend = await selectTfBackend(log);
  const steps = sessions.map(stepsOf);
  const vocabulary = UsageVocabulary.fromSequences(steps);
  const usage = steps.map((s) => vocabulary.presence(s));
  // The embedder and the choice of k cost time per distinct prompt: fit them on a seeded sample of the
  // distinct prompts, then embed and assign every prompt, so training stays minutes at 10^5 sessions.
  // A session without a prompt is judged against its agent's sessions, as in scoring: '' is no intent and
  // joins no cluster, unless no session has a prompt (the embedder and k-means still need one point).
  const recorded = [...new Set(sessions.map((s) => s.prompt))].filter((p) => p !== '');
  const prompts = recorded.length > 0 ? recorded : [''];
  const fitPrompts = new Set(samplePrompts(prompts, options.maxFitPrompts ?? MAX_FIT_PROMPTS, seed));
  const fitSessions = sessions.flatMap((s, i) => (fitPrompts.has(s.prompt) ? [i] : []));
  const embedder = await PromptEmbedder.train(
    fitSessions.map((i) => ({ prompt: (sessions[i] as NormalizedSession).prompt, usage: usage[i] as Float32Array })),
    { seed, ...options.embedder },
    (epoch, epochs) => progress('embedder', epoch, epochs),
  );

  progress('clusters', 0, 1);
  const embeddings = await embedder.embedBatch(prompts);
  const pointOf = new Map(prompts.map((p, i) => [p, i]));
  const fitOrder = [...fitPrompts];
  const fitPointOf = new Map(fitOrder.map((p, i) => [p, i]));
  const clusters = PromptClusters.fit(
    fitOrder.map((p) => embeddings[pointOf.get(p) as number] as Float32Array),
    { seed, ...options.clusters },
    usagePredictionScore(
      fitSessions.map((i) => fitPointOf.get((sessions[i] as NormalizedSession).prompt) as number),
      fitSessions.map((i) => usage[i] as Float32Array),
    ),
  );
  const assignmentOf = new Map<string, ClusterAssignment>(prompts.map((p, i) => [p, clusters.assign(embeddings[i] as Float32Array)]));
  const clusterOfSession = sessions.map((s) => (s.prompt === '' && recorded.length > 0 ? -1 : (assignmentOf.get(s.prompt)?.cluster ?? -1)));
  progress('clusters', 1, 1);
  log(`prompt clusters: k=${clusters.k} (score ${clusters.score.toFixed(3)}) over ${prompts.length} distinct prompts`);

  const foldOf = options.groups === undefined ? seededFolds(sessions.length, folds, seed) : groupedFolds(options.groups, folds, seed);
  const foldCount = foldOf.reduce((max, fold) => Math.max(max, fold), 0) + 1;
  if (foldCount < 2) {
    throw new Error(`trainModel: all ${sessions.length} sessions are in one group; calibration holds out whole groups and needs at least 2`);
  }
  const foldTrainIdx = Array.from({ length: foldCount }, (_, fold) => sessions.map((_, i) => i).filter((i) => foldOf[i] !== fold));

  progress('baselines', 0, 1);
  const foldKnownEntities = foldTrainIdx.map((idx) => KnownEntities.build(idx.map((i) => sessions[i] as NormalizedSession)));
  // Whether a send is a notice depends on the addresses known, so each session is judged as a new one
  // would be, by the entities of the other folds: a link made fresh in every session stays an action.
  // The fold models reuse these judgments (one pass, not one per fold), and the held-out replay asks
  // the same tests, which remember their answers.
  const foldNoticeTests = foldKnownEntities.map((known) => createNoticeTest(known));
  const notices = sessions.map((session, i) => noticeCalls(session, foldNoticeTests[foldOf[i] as number] as NoticeTest));
  const knownEntities = KnownEntities.build(sessions);
  // Contexts for sessions without a prompt: their agent's, numbered after the prompt clusters.
  const agentContexts = AgentContexts.fit(sessions.map(agentOf), clusters.k);
  const contexts = {
    clusterOf: clusterOfSession,
    contextOf: sessions.map((s) => agentContexts.idOf(agentOf(s))),
    count: clusters.k + agentContexts.count,
  };
  const markov = MarkovModel.train(markovSequences(sessions.map((_, i) => i), steps, contexts, notices), { order });
  const baselines = ClusterBaselines.build(sessions, clusterOfSession, contexts.count, contexts.contextOf);
  const resultVocabulary = ResultVocabulary.build(readResults(sessions));
  progress('baselines', 1, 1);

  // Held-out raw evidence, per session: the strongest raw value of each kind, judged with the session's
  // prompt and without it (live, the prompt may come only with the root span, which ends last).
  const resolvePrompt = (prompt: string) => (prompt === '' ? undefined : assignmentOf.get(prompt));
  const raw: Array<Map<string, number>> = sessions.map(() => new Map());
  const rawWithoutPrompt: Array<Map<string, number>> = sessions.map(() => new Map());
  const heldOutContentBits = sessions.map(() => 0);
  for (let fold = 0; fold < foldCount; fold++) {
    const trainIdx = foldTrainIdx[fold] as number[];
    const foldSessions = trainIdx.map((i) => sessions[i] as NormalizedSession);
    const foldClusters = trainIdx.map((i) => clusterOfSession[i] as number);
    const foldKnowledge = { knownEntities: foldKnownEntities[fold] as KnownEntities, resultVocabulary: ResultVocabulary.build(readResults(foldSessions)) };
    const foldMarkov = MarkovModel.train(markovSequences(trainIdx, steps, contexts, notices), { order });
    const foldBaselines = ClusterBaselines.build(foldSessions, foldClusters, contexts.count, trainIdx.map((i) => contexts.contextOf[i] as number));
    const detectors = rawDetectors(foldMarkov, foldBaselines, foldKnowledge, foldNoticeTests[fold] as NoticeTest, resolvePrompt, agentContexts);
    sessions.forEach((session, i) => {
      if (foldOf[i] !== fold) return;
      heldOutContentBits[i] = maxContentBits(foldKnowledge.resultVocabulary, session);
      const withPrompt = replaySession(detectors, session);
      keepStrongest(raw[i] as Map<string, number>, withPrompt);
      keepStrongest(rawWithoutPrompt[i] as Map<string, number>, session.prompt === '' ? withPrompt : replaySession(detectors, { ...session, prompt: '' }));
    });
    progress('calibration', fold + 1, foldCount);
  }

  const weights = { ...DEFAULT_EVIDENCE_WEIGHTS, ...options.weights };
  // Rules learn nothing from traffic: each session's rule evidence is the same in every fold.
  const ruleBits = sessions.map(() => 0);
  const ruleBitsWithoutPrompt = sessions.map(() => 0);
  const rules = options.rules?.detector;
  if (rules !== undefined) {
    sessions.forEach((session, i) => {
      ruleBits[i] = combineRisk(replaySession([rules], session), { weights }).bits;
      ruleBitsWithoutPrompt[i] = session.prompt === '' ? (ruleBits[i] as number) : combineRisk(replaySession([rules], { ...session, prompt: '' }), { weights }).bits;
    });
  }

  resultVocabulary.unusualBits = calibrate(heldOutContentBits, CONTENT_UNUSUAL_SHARE).threshold;
  log(`result wording: unfamiliar above ${resultVocabulary.unusualBits.toFixed(1)} bits (held-out normal sessions above: ${CONTENT_UNUSUAL_SHARE})`);

  const kinds = [
    ...MARKOV_EVIDENCE.map((id) => `${MARKOV_DETECTOR_ID}/${id}`),
    ...CLUSTER_EVIDENCE.map((id) => `${CLUSTERS_DETECTOR_ID}/${id}`),
  ];
  const fitScales = (evidence: ReadonlyArray<Map<string, number>>): Record<string, EmpiricalScale> =>
    Object.fromEntries(kinds.map((kind) => [kind, EmpiricalScale.fit(evidence.map((r) => r.get(kind) ?? 0), TAIL_UNITS[kind] ?? 1)]));
  const scales = fitScales(raw);
  const scalesWithoutPrompt = fitScales(rawWithoutPrompt);
  const combinedBits = (evidence: ReadonlyArray<Map<string, number>>, kindScales: Record<string, EmpiricalScale>, rulesBits: readonly number[]) =>
    evidence.map((r, i) => {
      let bits = rulesBits[i] as number;
      for (const [kind, value] of r) {
        // That evidence was recorded at every action for its calibration; it counts only behind its gate.
        if (kind === ACTION_AFTER_CONTENT && !((heldOutContentBits[i] as number) > resultVocabulary.unusualBits)) continue;
        const scale = kindScales[kind];
        const score = scale === undefined ? 0 : scale.scale(value);
        if (value > 0 && score >= REPORT_MIN_SCORE) bits += (weights[kind] ?? 1) * findingBits(score);
      }
      return bits;
    });
  const heldOutBits = combinedBits(raw, scales, ruleBits);
  const heldOutBitsWithoutPrompt = combinedBits(rawWithoutPrompt, scalesWithoutPrompt, ruleBitsWithoutPrompt);
  const riskScale = EmpiricalScale.fit(heldOutBits, 1);
  const heldOutRisk = heldOutBits.map((b) => riskScale.scale(b));
  const alert = calibrate(heldOutRisk, targetFpr);
  if (!(alert.threshold > 0)) {
    throw new Error(
      `trainModel: more than ${1 - targetFpr} of the ${sessions.length} held-out sessions gave no evidence at all, so no alert ` +
        'threshold tells them from others: train on more sessions, with more varied traffic',
    );
  }
  const withoutPromptAbove = heldOutBitsWithoutPrompt.filter((b) => riskScale.scale(b) > alert.threshold).length / sessions.length;
  log(`without the prompt, held-out sessions above the alert threshold: ${(withoutPromptAbove * 100).toFixed(2)}%`);
  const thresholds: ThresholdsFile = {
    formatVersion: MODEL_FORMAT_VERSION,
    scales: Object.fromEntries(Object.entries(scales).map(([k, s]) => [k, s.toJSON()])),
    scalesWithoutPrompt: Object.fromEntries(Object.entries(scalesWithoutPrompt).map(([k, s]) => [k, s.toJSON()])),
    weights,
    risk: riskScale.toJSON(),
    alert,
    operatingPoints: OPERATING_FPRS.map((fpr) => ({ fpr, threshold: calibrate(heldOutRisk, fpr).threshold })),
  };

  progress('writing', 0, 1);
  const manifest: ModelManifest = {
    formatVersion: MODEL_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    dataDigest: digest(sessions),
    counts: {
      sessions: sessions.length,
      calls: sessions.reduce((n, s) => n + s.calls.length, 0),
      distinctPrompts: recorded.length,
      tools: new Set(sessions.flatMap((s) => s.calls.map((c) => c.tool))).size,
      clusters: clusters.k,
      agents: agentContexts.count,
      sessionsWithPrompt: sessions.filter((s) => s.prompt !== '').length,
      callsWithArguments: sessions.reduce((n, s) => n + s.calls.filter((c) => c.arguments !== null && c.arguments !== undefined).length, 0),
      callsWithResult: sessions.reduce((n, s) => n + s.calls.filter((c) => c.result !== '').length, 0),
    },
    backend,
    parameters: {
      targetFpr,
      calibratedWithRules: options.rules?.files ?? [],
      markovOrder: order,
      folds,
      seed,
      embedder: {
        hiddenUnits: embedder.options.hiddenUnits,
        embeddingUnits: embedder.options.embeddingUnits,
        epochs: embedder.options.epochs,
        featureDimension: embedder.options.features.dimension,
      },
      clusters: {
        minK: options.clusters?.minK ?? 2,
        maxK: options.clusters?.maxK ?? 64,
        chosenK: clusters.k,
        score: clusters.score,
      },
    },
    files: MODEL_FILES,
  };
  await mkdir(options.outDir, { recursive: true });
  await embedder.save(join(options.outDir, MODEL_FILES.embedder));
  await writeFile(join(options.outDir, MODEL_FILES.markov), JSON.stringify(markov.toJSON()));
  await writeFile(join(options.outDir, MODEL_FILES.clusters), JSON.stringify({
        clusters: clusters.toJSON(),
        baselines: baselines.toJSON(),
        entities: knownEntities.toJSON(),
        resultVocabulary: resultVocabulary.toJSON(),
        agents: agentContexts.toJSON(),
      }),);
  await writeFile(join(options.outDir, MODEL_FILES.thresholds), JSON.stringify(thresholds, null, 1));
  await writeFile(join(options.outDir, MODEL_FILES.manifest), JSON.stringify(manifest, null, 2));
  embedder.dispose();
  progress('writing', 1, 1);
  return { manifest, thresholds, heldOutBits, heldOutBitsWithoutPrompt };
}

/** Detectors whose finding scores are the raw evidence, and that report everything: for calibration. */
function rawDetectors(
  markov: MarkovModel,
  baselines: ClusterBaselines,
  knowledge: { knownEntities: KnownEntities; resultVocabulary: ResultVocabulary },
  isNotice: NoticeTest,
  resolvePrompt: (prompt: string) => ClusterAssignment | undefined,
  agentContexts: AgentContexts,
): Detector<unknown>[] {
  const identity: EvidenceScale = (r) => r;
  const markovScales = Object.fromEntries(MARKOV_EVIDENCE.map((id) => [id, identity]));
  const clusterScales = Object.fromEntries(CLUSTER_EVIDENCE.map((id) => [id, identity]));
  return [
    createMarkovDetector(markov, { clusterOf: (p) => resolvePrompt(p)?.cluster ?? -1, agentContexts, scales: markovScales, minScore: 0, skipsSequence: isNotice }),
    createClusterDetector({ baselines, ...knowledge, resolvePrompt, agentContexts, scales: clusterScales, minScore: 0, ungatedActionEvidence: true, isNotice }),
  ] as Detector<unknown>[];
}

/** Records, per kind, the strongest raw evidence of the findings. */
function keepStrongest(strongest: Map<string, number>, findings: readonly Finding[]): void {
  for (const finding of findings) {
    const kind = `${finding.detector}/${finding.id}`;
    strongest.set(kind, Math.max(strongest.get(kind) ?? 0, finding.score));
  }
}

/** The most unfamiliar wording among a session's read results, in bits. */
function maxContentBits(vocabulary: ResultVocabulary, session: NormalizedSession): number {
  let max = 0;
  for (const call of session.calls) {
    if (call.toolClass.effect !== 'read' || call.result === '') continue;
    max = Math.max(max, vocabulary.novelty(call.tool, call.result)?.bits ?? 0);
  }
  return max;
}

/** The results of read calls: the content the agent took in from outside. */
function* readResults(sessions: readonly NormalizedSession[]): Iterable<{ tool: string; result: string }> {
  for (const session of sessions) for (const call of session.calls) if (call.toolClass.effect === 'read') yield call;
}

export function stepsOf(session: NormalizedSession): MarkovStep[] {
  return session.calls.map((c) => ({ tool: c.tool, category: c.toolClass.category }));
}

/** Which of the session's calls are notices by `isNotice`. */
function noticeCalls(session: NormalizedSession, isNotice: NoticeTest): boolean[] {
  const view = sessionView(session);
  return session.calls.map((_, call) => isNotice(view, call));
}

/** The Markov model's training sequences of sessions `idx`, without the notices the detector leaves out. */
function markovSequences(
  idx: readonly number[],
  steps: readonly MarkovStep[][],
  contexts: { readonly clusterOf: readonly number[]; readonly contextOf: readonly number[] },
  notices: readonly boolean[][],
): MarkovSequence[] {
  return idx.map((i) => ({
    steps: (steps[i] as MarkovStep[]).filter((_, call) => notices[i]?.[call] !== true),
    cluster: contexts.clusterOf[i] as number,
    context: contexts.contextOf[i] as number,
  }));
}

/** The agent a session's spans name (its first call's `service.name`), as a session view gives it. */
function agentOf(session: NormalizedSession): string {
  return session.calls[0]?.service ?? '';
}

function seededFolds(n: number, folds: number, seed: number): number[] {
  const random = seededRandom(seed ^ 0x5eed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const foldOf = new Array<number>(n);
  order.forEach((sessionIndex, rank) => (foldOf[sessionIndex] = rank % folds));
  return foldOf;
}

/** Whole groups to folds: shuffled, then each to the fold with the fewest sessions so far. */
export function groupedFolds(groups: readonly string[], folds: number, seed: number): number[] {
  const sizes = new Map<string, number>();
  for (const group of groups) sizes.set(group, (sizes.get(group) ?? 0) + 1);
  const names = [...sizes.keys()].sort();
  const random = seededRandom(seed ^ 0x5eed);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [names[i], names[j]] = [names[j] as string, names[i] as string];
  }
  const count = Math.min(folds, names.length);
  const load = new Array<number>(count).fill(0);
  const foldOfGroup = new Map<string, number>();
  for (const name of names) {
    const fold = load.indexOf(Math.min(...load));
    foldOfGroup.set(name, fold);
    load[fold] = (load[fold] as number) + (sizes.get(name) as number);
  }
  return groups.map((group) => foldOfGroup.get(group) as number);
}

function digest(sessions: readonly NormalizedSession[]): string {
  const hash = createHash('sha256');
  for (const s of sessions) {
    hash.update(`${s.id}\u0000${s.prompt}\u0000`);
    for (const c of s.calls) hash.update(`${c.tool}\u0000${JSON.stringify(c.arguments) ?? ''}\u0000`);
  }
  return hash.digest('hex');
}
