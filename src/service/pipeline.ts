import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/service-config.js';
import type { Detector } from '../detectors/detector.js';
import type { AttestationCheck } from '../detectors/identity/token-verdict.js';
import { IngestStage } from '../ingest/ingest-stage.js';
import { SpanNormalizer } from '../normalize/span-normalizer.js';
import type { ToolCatalog } from '../normalize/tool-catalog.js';
import type { ScoreSink } from '../outputs/score-sink.js';
import { EscalationPolicy } from '../scoring/escalation-policy.js';
import type { LevelThresholds, RiskCombiner } from '../scoring/risk-combiner.js';
import { DEFAULT_LEVEL_THRESHOLDS, riskCombiner } from '../scoring/risk-combiner.js';
import { ScoringStage } from '../scoring/scoring-stage.js';
import { LruSessionStore } from '../session/session-store.js';
import type { DetectionSetup } from './detection-setup.js';

export interface PipelineParts {
  readonly config: ServiceConfig;
  readonly catalog: ToolCatalog;
  readonly detectors: readonly Detector[];
  readonly sink: ScoreSink;
  readonly logger: Logger;
  /** From the model's calibration; the uncalibrated defaults otherwise. */
  readonly combine?: RiskCombiner;
  readonly levels?: LevelThresholds;
  readonly policy?: EscalationPolicy;
  readonly clock?: () => number;
  /** Verifies attestations on root spans; the identity detector reads the trust it sets. */
  readonly attestations?: AttestationCheck;
}

export interface Pipeline {
  readonly ingest: IngestStage;
  readonly scoring: ScoringStage;
  readonly store: LruSessionStore;
}

/** What a pipeline takes from the detection setup: the detection in use, the catalog and the attestation checks. */
export function pipelineDetection(setup: DetectionSetup): Pick<PipelineParts, 'catalog' | 'detectors' | 'combine' | 'levels' | 'policy' | 'attestations'> {
  const { detectors, combine, levels, policy } = setup.current();
  return {
    catalog: setup.catalog,
    detectors,
    combine,
    levels,
    policy,
    ...(setup.attestations !== undefined ? { attestations: setup.attestations } : {}),
  };
}

/** Per tick (5 s in the service): re-scoring the sessions held over a model reload takes at most 2 % of a core. */
const RESCORE_BUDGET_MS = 100;

/**
 * decode → normalize (stateless `IngestStage`) → session → detectors → scoring (`ScoringStage`):
 * the one path that `serve`, `score` and the tests all use.
 */
export function createPipeline(parts: PipelineParts): Pipeline {
  const { config, logger } = parts;
  const store = new LruSessionStore({ maxSessions: config.maxSessions, idleTtlMs: config.sessionIdleTtlMs, maxBytes: config.maxSessionBytes });
  const policy = parts.policy ?? new EscalationPolicy(config.escalation);
  const scoring = new ScoringStage({
    store,
    detectors: parts.detectors,
    policy,
    combine: parts.combine ?? riskCombiner(),
    levels: parts.levels ?? DEFAULT_LEVEL_THRESHOLDS,
    alertSeverity: config.alertSeverity,
    sink: parts.sink,
    limits: config.sessionLimits,
    maxTraceAliases: Math.max(1024, Math.min(config.maxSessions, 1_000_000)),
    clock: parts.clock ?? Date.now,
    logger,
    rescoreBudgetMs: RESCORE_BUDGET_MS,
    ...(parts.attestations !== undefined ? { attestations: parts.attestations } : {}),
  });
  const ingest = new IngestStage({
    normalizer: new SpanNormalizer(parts.catalog),
    consumer: scoring,
    maxDecompressedBytes: config.maxDecompressedBytes,
    logger,
  });
  return { ingest, scoring, store };
}
