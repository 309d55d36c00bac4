import type { SerializedEmpiricalScale } from '../scoring/empirical-scale.js';
import type { Threshold } from './calibrate.js';

/**
 * Bumped when a file's meaning changes; loadModel refuses other versions. 2: reads that reach outside
 * (fetches) are actions, with argument baselines, and calibrated as such.
 */
export const MODEL_FORMAT_VERSION = 3;

export const MODEL_FILES = {
  manifest: 'manifest.json',
  markov: 'markov.json',
  embedder: 'embedder',
  clusters: 'clusters.json',
  thresholds: 'thresholds.json',
} as const;

export interface ModelManifest {
  readonly formatVersion: typeof MODEL_FORMAT_VERSION;
  /** ISO-8601 */
  readonly createdAt: string;
  /** sha256 over the training sessions (ids, prompts, tools, arguments), hex. */
  readonly dataDigest: string;
  readonly counts: {
    readonly sessions: number;
    readonly calls: number;
    readonly distinctPrompts: number;
    readonly tools: number;
    readonly clusters: number;
    /** Agents with a context of their own, for sessions without a prompt. */
    readonly agents: number;
    /** How much content the training traffic carried: what instrumentations record is opt-in. */
    readonly sessionsWithPrompt: number;
    readonly callsWithArguments: number;
    readonly callsWithResult: number;
  };
  readonly backend: string;
  readonly parameters: TrainingParameters;
  readonly files: typeof MODEL_FILES;
}

export interface TrainingParameters {
  readonly targetFpr: number;
  /** Rule files whose findings counted in calibration (the service should run the same); absent in older models. */
  readonly calibratedWithRules?: readonly string[];
  readonly markovOrder: number;
  readonly folds: number;
  readonly seed: number;
  readonly embedder: { readonly hiddenUnits: number; readonly embeddingUnits: number; readonly epochs: number; readonly featureDimension: number };
  readonly clusters: { readonly minK: number; readonly maxK: number; readonly chosenK: number; readonly score: number };
}

/** Evidence scales per `detector/finding id`, the combined-risk calibration and the alert threshold. */
export interface ThresholdsFile {
  readonly formatVersion: typeof MODEL_FORMAT_VERSION;
  readonly scales: Record<string, SerializedEmpiricalScale>;
  /** The same for a session whose prompt is not known yet (live, it may come only with the root span). */
  readonly scalesWithoutPrompt: Record<string, SerializedEmpiricalScale>;
  /** Weight of each evidence kind in the combined risk. */
  readonly weights: Record<string, number>;
  /** Maps summed evidence bits to 0..1 risk (share of held-out benign sessions below). */
  readonly risk: SerializedEmpiricalScale;
  /** On the 0..1 risk. */
  readonly alert: Threshold;
  /** Risk of each held-out benign session at several rates, for choosing another operating point. */
  readonly operatingPoints: Array<{ fpr: number; threshold: number }>;
}
