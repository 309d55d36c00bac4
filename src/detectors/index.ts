export type { Detector, DetectorContext } from './detector.js';
export type { Finding, Severity } from './finding.js';
export { SEVERITIES, severityRank } from './finding.js';
