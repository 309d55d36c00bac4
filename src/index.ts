/** chainwatch as a library: the service, its one pipeline, and the shapes it speaks. */
export { startChainwatchService } from './service/chainwatch-service.js';
export type { ChainwatchService, ServiceOptions } from './service/chainwatch-service.js';
export { createPipeline } from './service/pipeline.js';
export type { Pipeline, PipelineParts } from './service/pipeline.js';
export { loadDetectionSetup, BUNDLED_MODEL, BUNDLED_RULES } from './service/detection-setup.js';
export type { DetectionSetup } from './service/detection-setup.js';
export { configFromEnv, resolveConfig, DEFAULT_CONFIG, ConfigError } from './config/service-config.js';
export type { ServiceConfig } from './config/service-config.js';
export { scoreTraceFiles } from './cli/score-command.js';
export type { ScoredSession, ScoreSummary } from './cli/score-command.js';
export type { Detector, DetectorContext, Finding, Severity } from './detectors/index.js';
export type { NormalizedEvent, SessionRootEvent, ToolCallEvent, ToolClass, ToolListEvent } from './normalize/events.js';
export type { CallRecord, SessionView, TrustLevel } from './session/session-view.js';
export type { Alert, EscalationSignal, RiskLevel, ScoreUpdate } from './scoring/risk.js';
