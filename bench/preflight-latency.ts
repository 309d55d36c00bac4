import { pino } from 'pino';
import { resolveConfig } from '../src/config/service-config.js';
import type { DetectionParts, DetectionSetup } from '../src/service/detection-setup.js';
import { PreflightCheck, preflightThresholds } from '../src/scoring/preflight.js';
import { SILENT_SINK } from '../src/outputs/silent-sink.js';
import { createPipeline } from '../src/service/pipeline.js';
import { encodedBatches } from './pipeline-throughput.js';
import { percentile } from './stats.js';

const PROPOSED_TOOLS = ['post_to_slack', 'query_customer_pii', 'run_python', 'search_docs', 'send_email', 'delete_records'];

export interface PreflightLatency {
  readonly callsPerSession: number;
  readonly checks: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * In-process latency of `POST /v1/check`'s work (`PreflightCheck.check`: copy the session, replay it
 * with the proposed call through every detector, combine) over live sessions of a given length.
 */
export async function benchPreflightLatency(
  setup: Pick<DetectionParts, 'detectors' | 'combine' | 'levels'> & Pick<DetectionSetup, 'catalog'>,
  callsPerSession: number,
  options: { sessions: number; checks: number; warmup: number } = { sessions: 500, checks: 5_000, warmup: 500 },
): Promise<PreflightLatency> {
  const config = resolveConfig({ sessionIdleTtlMs: 0, maxSessions: 100_000 });
  const pipeline = createPipeline({ ...setup, config, sink: SILENT_SINK, logger: pino({ level: 'silent' }) });
  for (const body of encodedBatches(options.sessions, 50, callsPerSession).batches) {
    await pipeline.ingest.handle({ body, contentType: 'application/x-protobuf', contentEncoding: '', origin: 'bench' });
  }
  const preflight = new PreflightCheck({
    scoring: pipeline.scoring,
    catalog: setup.catalog,
    thresholds: preflightThresholds(setup.levels),
  });
  const check = (i: number): void => {
    preflight.check({ session: `bench-${(i * 7919) % options.sessions}`, tool: PROPOSED_TOOLS[i % PROPOSED_TOOLS.length]!, arguments: { text: `call ${i}` } });
  };
  for (let i = 0; i < options.warmup; i++) check(i);
  const samples: number[] = [];
  for (let i = 0; i < options.checks; i++) {
    const start = process.hrtime.bigint();
    check(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return {
    callsPerSession,
    checks: options.checks,
    p50Ms: percentile(samples, 0.5),
    p99Ms: percentile(samples, 0.99),
    maxMs: Math.max(...samples),
  };
}
