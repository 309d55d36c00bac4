import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { pino } from 'pino';
import { resolveConfig } from '../src/config/service-config.js';
import type { Detector } from '../src/detectors/detector.js';
import { decodeOtlpProtobuf } from '../src/ingest/otlp/decode.js';
import { ToolCatalog } from '../src/normalize/tool-catalog.js';
import { SILENT_SINK } from '../src/outputs/silent-sink.js';
import { createPipeline } from '../src/service/pipeline.js';
import { sessionSpans } from '../test/helpers/otel-session.js';
import { measureRate, median } from './stats.js';

const TOOLS = ['search_docs', 'query_database', 'get_ticket', 'query_customer_pii', 'run_python', 'post_to_slack', 'list_instances'];

/** Export requests of `sessions` sessions, `perBatch` sessions each, as a real SDK encodes them. */
export function encodedBatches(sessions: number, perBatch: number, callsPerSession: number): { batches: Uint8Array[]; spans: number } {
  const batches: Uint8Array[] = [];
  let spans = 0;
  for (let first = 0; first < sessions; first += perBatch) {
    const batchSpans = [];
    for (let s = first; s < Math.min(sessions, first + perBatch); s++) {
      const calls = Array.from({ length: callsPerSession }, (_, i) => ({
        tool: TOOLS[(s + i * 3) % TOOLS.length]!,
        args: { query: `select * from t where id = ${s * 10 + i}` },
        result: `row ${i} of session ${s}`,
      }));
      batchSpans.push(...sessionSpans({ sessionId: `bench-${s}`, prompt: `summarize account ${s % 50}`, calls }, 'bench-agent'));
    }
    spans += batchSpans.length;
    batches.push(ProtobufTraceSerializer.serializeRequest(batchSpans)!);
  }
  return { batches, spans };
}

export interface ThroughputResult {
  readonly spans: number;
  readonly decodeSpansPerSecond: number;
  readonly pipelineSpansPerSecond: Readonly<Record<string, number>>;
}

/**
 * Decode-only throughput (the baseline) against the full pipeline (decode, normalize, session state,
 * detectors, scoring) with each given detector set, in one run, medians of `rounds`.
 */
export async function benchPipelineThroughput(
  detectorSets: Readonly<Record<string, () => Promise<readonly Detector[]>>>,
  options: { sessions: number; rounds: number } = { sessions: 2_000, rounds: 7 },
): Promise<ThroughputResult> {
  const { batches, spans } = encodedBatches(options.sessions, 50, 6);
  const decodeRates = measureRate(options.rounds, 2, spans, () => undefined, () => {
    for (const body of batches) decodeOtlpProtobuf(body);
  });
  const logger = pino({ level: 'silent' });
  const config = resolveConfig({ sessionIdleTtlMs: 0, maxSessions: 100_000 });
  const pipelineRates: Record<string, number> = {};
  for (const [name, makeDetectors] of Object.entries(detectorSets)) {
    const detectors = await makeDetectors();
    const rates = measureRate(
      options.rounds,
      2,
      spans,
      () => createPipeline({ config, catalog: new ToolCatalog(), detectors, sink: SILENT_SINK, logger }),
      (pipeline) => {
        for (const body of batches) {
          void pipeline.ingest.handle({ body, contentType: 'application/x-protobuf', contentEncoding: '', origin: 'bench' });
      }
    });
    pipelineRates[name] = median(rates);
  }
  return { spans, decodeSpansPerSecond: median(decodeRates), pipelineSpansPerSecond: pipelineRates };
}
