/** chainwatch as a library: the service, its one pipeline, and the shapes it speaks. */
export { startChainwatchService, createPipeline, loadDetectionSetup, BUNDLED_MODEL, BUNDLED_RULES } from './service/index.js';
export type { ChainwatchService, DetectionSetup, Pipeline, PipelineParts, ServiceOptions } from './service/index.js';
export { configFromEnv, resolveConfig, DEFAULT_CONFIG, ConfigError } from './config/index.js';
export type { ServiceConfig } from './config/index.js';
export { scoreTraceFiles } from './cli/score-command.js';
export type { ScoredSession, ScoreSummary } from './cli/score-command.js';
export type { Detector, DetectorContext, Finding, Severity } from './detectors/index.js';
export type { NormalizedEvent, SessionRootEvent, ToolCallEvent, ToolClass, ToolListEvent } from './normalize/index.js';
export type { CallRecord, SessionView, TrustLevel } from './session/index.js';
export type { Alert, EscalationSignal, RiskLevel, ScoreUpdate } from './scoring/index.js';
