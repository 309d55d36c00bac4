export { ScoringStage } from './scoring-stage.js';
export type { RiskPreview, ScoringCounters, ScoringStageOptions } from './scoring-stage.js';
export {
  combineRisk,
  DEFAULT_EVIDENCE_WEIGHTS,
  DEFAULT_LEVEL_THRESHOLDS,
  findingBits,
  firstCallAtRisk,
  levelOf,
  riskCombiner,
} from './risk-combiner.js';
export type { CombinedRisk, CombineOptions, LevelThresholds, RiskCombiner } from './risk-combiner.js';
export { EmpiricalScale } from './empirical-scale.js';
export type { SerializedEmpiricalScale } from './empirical-scale.js';
export { DEFAULT_ESCALATION, EscalationPolicy } from './escalation-policy.js';
export type { EscalationDecision, EscalationMemory, EscalationOptions } from './escalation-policy.js';
export type { Alert, EscalationSignal, RiskLevel, ScoreUpdate } from './risk.js';
export { decide, PreflightCheck, preflightThresholds } from './preflight.js';
export type { PreflightAnswer, PreflightCheckOptions, PreflightDecision, PreflightThresholds, ProposedCall } from './preflight.js';
