import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Detector } from '../detectors/detector.js';
import type { Finding } from '../detectors/finding.js';
import { AgentContexts } from '../detectors/agent-contexts.js';
import type { EvidenceScale } from '../detectors/evidence-scale.js';
import { MARKOV_EVIDENCE, MarkovModel, createMarkovDetector, type MarkovState } from '../detectors/markov/index.js';
import {
  CLUSTER_EVIDENCE,
  ClusterBaselines,
  KnownEntities,
  PromptClusters,
  ResultVocabulary,
  PromptEmbedder,
  createClusterDetector,
  createNoticeTest,
  createPromptResolver,
  selectTfBackend,
  type ClusterState,
  type PromptResolver,
} from '../detectors/clusters/index.js';
import { combineRisk, type CombinedRisk } from '../scoring/risk-combiner.js';
import { EmpiricalScale } from '../scoring/empirical-scale.js';
import { MODEL_FILES, MODEL_FORMAT_VERSION, type ModelManifest, type ThresholdsFile } from './model-files.js';

export interface LoadedModel {
  readonly manifest: ModelManifest;
  readonly markov: Detector<MarkovState>;
  readonly clusters: Detector<ClusterState>;
  readonly resolvePrompt: PromptResolver;
  /** Findings (any detector's, rules included) -> one calibrated 0..1 risk. */
  combine(findings: readonly Finding[]): CombinedRisk;
  /** Alert when the combined risk is above this (set at the trained target FPR). */
  readonly alertThreshold: number;
  readonly thresholds: ThresholdsFile;
  /** Frees the prompt embedder's tensors; the detectors must not be used after. */
  dispose(): void;
}

/** Reads a model folder written by trainModel; every file is checked, and errors name the file. */
export async function loadModel(dir: string, log: (message: string) => void = () => {}): Promise<LoadedModel> {
  const manifest = (await readJson(join(dir, MODEL_FILES.manifest))) as ModelManifest;
  if (manifest?.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new Error(
      `${join(dir, MODEL_FILES.manifest)}: format version ${String(manifest?.formatVersion)}, expected ${MODEL_FORMAT_VERSION}: retrain it with \`chainwatch train\``,
    );
  }
  await selectTfBackend(log);
  const markovPath = join(dir, MODEL_FILES.markov);
  const markov = MarkovModel.fromJSON(await readJson(markovPath), markovPath);
  const clustersPath = join(dir, MODEL_FILES.clusters);
  const clustersFile = (await readJson(clustersPath)) as {
    clusters?: unknown;
    baselines?: unknown;
    entities?: unknown;
    resultVocabulary?: unknown;
    agents?: unknown;
  } | null;
  const clusters = PromptClusters.fromJSON(clustersFile?.clusters, `${clustersPath} clusters`);
  const baselines = ClusterBaselines.fromJSON(clustersFile?.baselines, `${clustersPath} baselines`);
  const agentContexts = AgentContexts.fromJSON(clustersFile?.agents, `${clustersPath} agents`);
  // Files copied in from another training load one by one but do not fit together.
  const { clusters: manifestClusters, agents: manifestAgents } = manifest.counts ?? {};
  if (manifestClusters !== clusters.k || manifestAgents !== agentContexts.count) {
    throw new Error(
      `${clustersPath}: ${clusters.k} clusters and ${agentContexts.count} agents, but the manifest says ${String(manifestClusters)} and ${String(manifestAgents)}: ` +
        'the files come from different trainings',
    );
  }
  if (baselines.contextCount !== clusters.k + agentContexts.count) {
    throw new Error(`${clustersPath}: ${baselines.contextCount} baselines for ${clusters.k} clusters and ${agentContexts.count} agents`);
  }
  // Models trained before these were learned lack them: that evidence is then simply absent.
  const knowledge = {
    ...(clustersFile?.entities === undefined ? {} : { knownEntities: KnownEntities.fromJSON(clustersFile.entities, `${clustersPath} entities`) }),
    ...(clustersFile?.resultVocabulary === undefined
      ? {}
      : { resultVocabulary: ResultVocabulary.fromJSON(clustersFile.resultVocabulary, `${clustersPath} resultVocabulary`) }),
  };
  const thresholdsPath = join(dir, MODEL_FILES.thresholds);
  const thresholds = (await readJson(thresholdsPath)) as ThresholdsFile;
  if (thresholds?.formatVersion !== MODEL_FORMAT_VERSION || thresholds.scales === undefined || thresholds.scalesWithoutPrompt === undefined) {
    throw new Error(`${thresholdsPath}: expected format version ${MODEL_FORMAT_VERSION} with scales and scalesWithoutPrompt`);
  }
  const { threshold, targetFpr } = thresholds.alert ?? {};
  if (!(typeof threshold === 'number' && threshold > 0 && threshold <= 1) || !(typeof targetFpr === 'number' && targetFpr > 0 && targetFpr < 1)) {
    throw new Error(`${thresholdsPath}: alert needs a threshold in (0, 1] and a targetFpr in (0, 1)`);
  }
  for (const [kind, weight] of Object.entries(thresholds.weights ?? {})) {
    if (!(typeof weight === 'number' && Number.isFinite(weight) && weight >= 0)) throw new Error(`${thresholdsPath}: weights.${kind} must be a number >= 0`);
  }
  const scalesOf = <Id extends string>(detector: string, ids: readonly Id[], set: 'scales' | 'scalesWithoutPrompt') =>
    Object.fromEntries(
      ids.flatMap((id) => {
        const data = thresholds[set][`${detector}/${id}`];
        return defined(id, data === undefined ? undefined : EmpiricalScale.fromJSON(data, `${thresholdsPath} ${set}.${detector}/${id}`).scale);
      }),
    ) as Partial<Record<Id, EvidenceScale>>;
  const riskScale = EmpiricalScale.fromJSON(thresholds.risk, `${thresholdsPath} risk`);

  const markovScales = { scales: scalesOf('markov', MARKOV_EVIDENCE, 'scales'), scalesWithoutPrompt: scalesOf('markov', MARKOV_EVIDENCE, 'scalesWithoutPrompt') };
  const clusterScales = { scales: scalesOf('clusters', CLUSTER_EVIDENCE, 'scales'), scalesWithoutPrompt: scalesOf('clusters', CLUSTER_EVIDENCE, 'scalesWithoutPrompt') };
  // Last, once every file has been checked: its tensors would leak if a check after it refused the folder.
  const embedder = await PromptEmbedder.load(join(dir, MODEL_FILES.embedder));
  try {
    if (embedder.dimension !== clusters.dimension) {
      throw new Error(
        `${join(dir, MODEL_FILES.embedder)}: embeddings of width ${embedder.dimension}, but the clusters in ${clustersPath} have ${clusters.dimension}: ` +
          'the files come from different trainings',
      );
    }
    const resolvePrompt = createPromptResolver(embedder, clusters);
    // A model without known entities was trained with every call in its sequences and no notices.
    const isNotice = knowledge.knownEntities === undefined ? undefined : createNoticeTest(knowledge.knownEntities);
    const markovNotices = isNotice === undefined ? {} : { skipsSequence: isNotice };
    const clusterNotices = isNotice === undefined ? {} : { isNotice };
    return {
      manifest,
      markov: createMarkovDetector(markov, { clusterOf: (p) => resolvePrompt(p)?.cluster ?? -1, agentContexts, ...markovScales, ...markovNotices }),
      clusters: createClusterDetector({ baselines, resolvePrompt, agentContexts, ...clusterScales, ...knowledge, ...clusterNotices }),
      resolvePrompt,
      combine: (findings) => combineRisk(findings, { calibration: riskScale, weights: thresholds.weights ?? {} }),
      alertThreshold: thresholds.alert.threshold,
      thresholds,
      dispose: () => embedder.dispose(),
    };
  } catch (error) {
    embedder.dispose();
    throw error;
  }
}

function defined<K, V>(key: K, value: V | undefined): Array<[K, V]> {
  return value === undefined ? [] : [[key, value]];
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${path}: not valid JSON: ${(error as Error).message}`);
  }
}
