import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/service-config.js';
import { reachesOutside } from '../detectors/index.js';
import type { ToolEffect } from '../normalize/index.js';
import type { DecodedBatch } from '../ingest/otlp/types.js';
import { replayTraceFiles } from '../ingest/trace-file-replay.js';
import { SILENT_SINK } from '../outputs/silent-sink.js';
import { firstCallAtRisk } from '../scoring/risk-combiner.js';
import type { RiskCombiner } from '../scoring/risk-combiner.js';
import type { Session } from '../session/session.js';
import { loadDetectionSetup } from '../service/detection-setup.js';
import { createPipeline, pipelineDetection } from '../service/pipeline.js';
import { fileProgress } from './progress.js';

export interface ScoreCommandOptions {
  readonly traces: readonly string[];
  readonly out: string;
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly showProgress: boolean;
  /**
   * Feed each line's spans one at a time in the order they end, as exporters deliver them (the agent's
   * root span, which carries the prompt, comes last), and say where the alert came as the session
   * streamed (`liveAlertCallIndex`). Otherwise a line is one batch, scored with its root span.
   */
  readonly live?: boolean;
}

export interface ScoreSummary {
  readonly sessions: number;
  readonly lines: number;
  readonly badLines: number;
  readonly spans: number;
  readonly rejectedSpans: number;
}

/** One line of `chainwatch score` output. */
export interface ScoredSession {
  readonly session: string;
  readonly traceIds: readonly string[];
  readonly score: number;
  readonly level: string;
  readonly escalated: boolean;
  /** The first call after which the final findings put the risk at the alert level (the prompt known from the start). */
  readonly firstAlertCallIndex: number | null;
  /**
   * With `--live`: the last call the session had when its risk first reached the alert level as it
   * streamed (-1: before any call), null when it never did.
   */
  readonly liveAlertCallIndex?: number | null;
  /**
   * The calls in session order (a finding's callIndex points here): what each did, for lead times.
   * `outbound`: the call reaches outside even if it only reads (a fetch), so it counts as a side effect.
   */
  readonly calls: ReadonlyArray<{ readonly tool: string; readonly effect: ToolEffect; readonly outbound: boolean }>;
  readonly findings: ReadonlyArray<{
    readonly detector: string;
    readonly id: string;
    readonly severity: string;
    /** The finding's 0..1 contribution: `evaluate` re-combines findings without one detector's. */
    readonly score: number;
    readonly message: string;
    readonly callIndex: number;
  }>;
}

/**
 * Offline replay of OTLP/JSON lines files through the same pipeline as the service; one JSON line per
 * session, written when the session leaves the store (evicted or at the end), so nothing is lost.
 */
export async function scoreTraceFiles(options: ScoreCommandOptions): Promise<ScoreSummary> {
  const { config, logger } = options;
  // Open the output first: a path that cannot be written fails before the model loads, with its name.
  const out = createWriteStream(options.out);
  await once(out, 'open').catch((error: Error) => {
    throw new Error(`--out: ${error.message}`);
  });
  const setup = await loadDetectionSetup(config, logger);
  const pipeline = createPipeline({ ...pipelineDetection(setup), config, sink: SILENT_SINK, logger });
  let sessions = 0;
  pipeline.store.onEvict((session) => {
    sessions++;
    const { policy, combine } = pipeline.scoring.detection;
    const line = `${JSON.stringify(scoredSession(session, policy.options.escalateAt, combine, options.live === true))}\n`;
    if (!out.write(line)) pendingDrain = true;
  });
  let pendingDrain = false;
  let read = { lines: 0, badLines: 0 };
  try {
    const progress = fileProgress(options.showProgress, 'scoring');
    const accept = options.live === true ? spanBySpan(pipeline.ingest.accept.bind(pipeline.ingest)) : pipeline.ingest.accept.bind(pipeline.ingest);
    read = await replayTraceFiles(options.traces, accept, {
      logger,
      onFile: progress.onFile,
      onLine: async (_file, line) => {
        progress.onLine(line);
        if (pendingDrain) {
          pendingDrain = false;
          await once(out, 'drain');
        }
      },
    });
    // Attestations verify asynchronously: apply every verdict before the sessions are written.
    await pipeline.scoring.settled();
    // The file is over: a trailing missing step that has not come will not, nor will a missing root span.
    pipeline.scoring.sweep(Number.POSITIVE_INFINITY);
    pipeline.scoring.settleAll();
    pipeline.store.clear();
  } finally {
    out.end();
    await once(out, 'finish');
    await setup.close();
  }
  const counters = pipeline.ingest.counters;
  return { sessions, lines: read.lines, badLines: read.badLines, spans: counters.spans, rejectedSpans: counters.spansRejected };
}

/** A batch's spans one at a time, in the order they end: how an exporter delivers a live session. */
function spanBySpan(accept: (batch: DecodedBatch, origin: string) => unknown): (batch: DecodedBatch, origin: string) => void {
  return (batch, origin) => {
    if (batch.rejected.length > 0) accept({ spans: [], rejected: batch.rejected }, origin);
    for (const span of [...batch.spans].sort((a, b) => a.endTimeMs - b.endTimeMs)) accept({ spans: [span], rejected: [] }, origin);
  };
}

export function scoredSession(session: Session, alertAt: number, combine: RiskCombiner, live = false): ScoredSession {
  const firstAlert = firstCallAtRisk(session.findings, alertAt, combine);
  return {
    session: session.id,
    traceIds: session.traceIds,
    score: session.score,
    level: session.level,
    escalated: session.signalsSent > 0,
    firstAlertCallIndex: firstAlert,
    ...(live ? { liveAlertCallIndex: session.callsAtAlert < 0 ? null : session.callsAtAlert - 1 } : {}),
    calls: session.calls.map(({ event }) => ({ tool: event.tool, effect: event.toolClass.effect, outbound: reachesOutside(event) })),
    findings: session.findings.map(({ detector, id, severity, score, message, callIndex }) => ({
      detector,
      id,
      severity,
      score,
      message,
      callIndex,
    })),
  };
}
