export type { BatchHandler, EncodedBatch, IngestOutcome, SpanSource } from './span-source.js';
export { describeFailure, isUndecodableBatchError } from './batch-failure.js';
export { DEFAULT_CONTENT_TYPE, readNatsBatch } from './nats-batch.js';
export type { NatsBatchReading } from './nats-batch.js';
export { NatsCoreSpanSource } from './nats-core-source.js';
export type { NatsCoreSourceCounters, NatsCoreSpanSourceOptions, NatsIngestReply } from './nats-core-source.js';
export { DEFAULT_OTLP_CONSUMER, DEFAULT_OTLP_STREAM, JetStreamSpanSource } from './jetstream-source.js';
export type { JetStreamSourceCounters, JetStreamSpanSourceOptions } from './jetstream-source.js';
