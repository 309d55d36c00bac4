export type { Detector, DetectorContext } from './detector.js';
export type { Finding, Severity } from './finding.js';
export { SEVERITIES, severityRank } from './finding.js';
export { provisionalScale, severityForScore } from './evidence-scale.js';
export type { EvidenceScale } from './evidence-scale.js';
export { argumentValues } from './argument-values.js';
export { isConsequential, reachesOutside } from './call-reach.js';
export { AgentContexts, AGENT_CONTEXTS_FORMAT, MIN_AGENT_SESSIONS } from './agent-contexts.js';
export type { SerializedAgentContexts } from './agent-contexts.js';
