import type { SpanSource } from '../ingest/span-source.js';
import type { KvRiskStore } from '../outputs/kv-risk-store.js';
import type { ServiceMetrics } from '../outputs/metrics.js';
import type { NatsScoreSink } from '../outputs/nats-score-sink.js';
import type { DetectionParts } from './detection-setup.js';
import type { ModelSlot } from './model-slot.js';
import type { Pipeline } from './pipeline.js';

interface Counted {
  readonly counters: object;
}

function statsOf(detector: object | undefined): object | undefined {
  if (detector === undefined || !('stats' in detector) || typeof detector.stats !== 'object' || detector.stats === null) return undefined;
  return detector.stats;
}

function hasCounters(value: unknown): value is Counted {
  return typeof value === 'object' && value !== null && 'counters' in value;
}

/** Exposes every component's counters on `/metrics`. */
export function registerServiceMetrics(
  metrics: ServiceMetrics,
  parts: {
    readonly pipeline: Pipeline;
    /** The detection in use: a model reload replaces its detectors (and their counts start again). */
    readonly detection: () => DetectionParts;
    readonly sources: readonly SpanSource[];
    readonly natsSink?: NatsScoreSink;
    readonly riskStore?: KvRiskStore;
    readonly attestations?: { readonly counters: object };
    /** The model folder in use: its alert target, to compare the completed sessions' alert share with, and its reloads. */
    readonly model?: ModelSlot;
  },
): void {
  const { ingest, scoring, store } = parts.pipeline;
  metrics.counter('chainwatch_batches_total', 'OTLP export requests received', () => ingest.counters.batches);
  metrics.counter('chainwatch_batches_rejected_total', 'OTLP export requests rejected whole (undecodable, unsupported type, too large)', () => ingest.counters.batchesRejected);
  metrics.counter('chainwatch_spans_total', 'spans received', () => ingest.counters.spans);
  metrics.counter('chainwatch_spans_rejected_total', 'spans rejected (malformed ids, unusable attributes)', () => ingest.counters.spansRejected);
  metrics.counter('chainwatch_spans_ignored_total', 'spans that are neither tool calls, tool lists nor agent roots', () => ingest.counters.spansIgnored);
  metrics.counter('chainwatch_events_total', 'normalized events applied to sessions', () => scoring.counters.events);
  metrics.counter('chainwatch_duplicate_spans_total', 'spans seen before (at-least-once delivery)', () => scoring.counters.duplicates);
  metrics.counter('chainwatch_dropped_calls_total', 'calls beyond the per-session cap, not scored', () => scoring.counters.droppedCalls);
  metrics.counter('chainwatch_session_replays_total', 'sessions re-scored because spans arrived out of order or the root arrived', () => scoring.counters.replays);
  metrics.counter('chainwatch_detector_errors_total', 'detector failures (their evidence is skipped)', () => scoring.counters.detectorErrors);
  metrics.counter('chainwatch_alerts_total', 'alerts published', () => scoring.counters.alerts);
  metrics.counter('chainwatch_escalation_signals_total', 'sampling escalation signals published', () => scoring.counters.signals);
  metrics.counter('chainwatch_attestations_unchecked_total', 'attestations not verified because the verifier was saturated (the session kept its trust until a retry)', () => scoring.counters.attestationsUnchecked);
  metrics.counter('chainwatch_attestation_retries_dropped_total', 'unchecked attestations not retried: too many were waiting', () => scoring.counters.attestationRetriesDropped);
  metrics.gauge('chainwatch_live_sessions', 'sessions held in memory', () => store.size);
  metrics.gauge('chainwatch_session_bytes', 'heap bytes the live sessions hold, approximately (what the memory budget counts)', () => store.bytes);
  if (store.maxBytes > 0) {
    metrics.gauge('chainwatch_session_bytes_limit', 'the memory budget of the live sessions (--session-memory)', () => store.maxBytes);
  }
  metrics.labelledCounter('chainwatch_session_evictions_total', 'sessions evicted from memory, by reason', 'reason', () => store.evictions);
  metrics.labelledCounter(
    'chainwatch_sessions_completed_total',
    'sessions over (idle or pushed out of memory), by final risk level; high and critical are above the alert threshold',
    'level',
    () => scoring.completedByLevel,
  );
  const { model } = parts;
  if (model !== undefined) {
    metrics.gauge(
      'chainwatch_model_alert_target_ratio',
      "the share of normal sessions the model's alert threshold was set to let through: compare the completed sessions' high+critical share",
      () => model.summary.targetFpr,
    );
    metrics.labelledCounter('chainwatch_model_reloads_total', 'model folder reloads by outcome (loaded, unchanged, rejected)', 'outcome', () => model.counters);
    metrics.gauge('chainwatch_sessions_awaiting_rescore', 'held sessions not yet re-scored with a reloaded model', () => scoring.awaitingRescore);
    metrics.counter('chainwatch_sessions_rescored_after_reload_total', 'held sessions re-scored with a reloaded model', () => scoring.counters.rescoredAfterSwap);
  }
  for (const detector of parts.detection().detectors) {
    if (statsOf(detector) === undefined) continue;
    const { id } = detector;
    metrics.labelledCounter(
      `chainwatch_detector_${id.replace(/[^a-zA-Z0-9_]/g, '_')}_total`,
      `the ${id} detector's own counts (evaluations, findings, what its bounds dropped)`,
      'count',
      () => statsOf(parts.detection().detectors.find((d) => d.id === id)) ?? {},
    );
  }
  for (const source of parts.sources) {
    if (!hasCounters(source)) continue;
    metrics.labelledCounter(
      `chainwatch_source_${source.name.replace(/[^a-zA-Z0-9_]/g, '_')}_total`,
      `batches through the ${source.name} span source, by outcome`,
      'outcome',
      () => source.counters,
    );
  }
  const { natsSink, riskStore, attestations } = parts;
  if (attestations !== undefined) {
    metrics.labelledCounter('chainwatch_attestations_total', 'session attestations by verification outcome', 'outcome', () => attestations.counters);
  }
  if (natsSink !== undefined) {
    metrics.labelledCounter('chainwatch_nats_published_total', 'NATS publications by kind and outcome', 'kind', () => {
      const { held: _held, ...published } = natsSink.counters;
      return published;
    });
    metrics.gauge('chainwatch_nats_held_results', 'alerts and escalation signals held while NATS is unreachable', () => natsSink.counters.held);
  }
  if (riskStore !== undefined) {
    metrics.labelledCounter('chainwatch_kv_risk_writes_total', 'KV risk store writes by outcome', 'outcome', () => riskStore.counters);
  }
}
