export { startChainwatchService } from './chainwatch-service.js';
export type { ChainwatchService, ServiceOptions } from './chainwatch-service.js';
export { createPipeline } from './pipeline.js';
export type { Pipeline, PipelineParts } from './pipeline.js';
export { BUNDLED_MODEL, BUNDLED_RULES, loadDetectionSetup } from './detection-setup.js';
export type { DetectionSetup } from './detection-setup.js';
