export type { ScoreSink } from './score-sink.js';
export { NatsScoreSink } from './nats-score-sink.js';
export type { NatsScoreSinkCounters, NatsScoreSinkOptions } from './nats-score-sink.js';
export { MAX_SUBJECT_TOKEN_LENGTH, subjectToken, UNKNOWN_SERVICE_TOKEN } from './subject-token.js';
export type { RiskStore } from './risk-store.js';
export { DEFAULT_RISK_BUCKET, KvRiskStore, riskStoreKey } from './kv-risk-store.js';
export type { KvRiskStoreCounters, KvRiskStoreOptions } from './kv-risk-store.js';
