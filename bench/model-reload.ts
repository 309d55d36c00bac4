import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { resolveConfig } from '../src/config/service-config.js';
import { SILENT_SINK } from '../src/outputs/silent-sink.js';
import { BUNDLED_MODEL, loadDetectionSetup } from '../src/service/detection-setup.js';
import { createPipeline, pipelineDetection } from '../src/service/pipeline.js';
import { encodedBatches } from './pipeline-throughput.js';
import { median } from './stats.js';

export interface ModelReloadResult {
  readonly sessions: number;
  readonly callsPerSession: number;
  /** Loading the model folder again (read, parse, embedder), medians. */
  readonly loadMs: number;
  /** Ingesting and scoring the sessions the first time (the baseline). */
  readonly ingestMs: number;
  /** Re-scoring every held session after the swap, summed over ticks. */
  readonly rescoreMs: number;
  readonly ticks: number;
  /** The longest tick: how long ingestion waits at most while the sessions are re-scored. */
  readonly longestTickMs: number;
}

/**
 * A model reload while `sessions` sessions are held: the folder's load time, then the ticks that
 * re-score them within the service's budget, against the time it took to score them as they came.
 */
export async function benchModelReload(sessions: number, callsPerSession: number, rounds = 3): Promise<ModelReloadResult> {
  const logger = pino({ level: 'silent' });
  const modelDir = await mkdtemp(path.join(tmpdir(), 'chainwatch-bench-model-'));
  await cp(BUNDLED_MODEL, modelDir, { recursive: true });
  const config = resolveConfig({ sessionIdleTtlMs: 0, maxSessions: sessions * 2, modelDir });
  const { batches } = encodedBatches(sessions, 50, callsPerSession);
  const setup = await loadDetectionSetup(config, logger);
  const slot = setup.model!;
  let pipeline = createPipeline({ ...pipelineDetection(setup), config, sink: SILENT_SINK, logger });
  // As the service does: the reloaded model's detection goes to the scoring stage.
  setup.onChange((parts) => pipeline.scoring.useDetection(parts));
  const loads: number[] = [];
  const ingests: number[] = [];
  const rescores: number[] = [];
  const longest: number[] = [];
  const tickCounts: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      pipeline = createPipeline({ ...pipelineDetection(setup), config, sink: SILENT_SINK, logger });
      let start = performance.now();
      for (const body of batches) await pipeline.ingest.handle({ body, contentType: 'application/x-protobuf', contentEncoding: '', origin: 'bench' });
      ingests.push(performance.now() - start);

      // Another creation time makes the same folder a new model, as a retrain would.
      const manifestFile = path.join(modelDir, 'manifest.json');
      const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { createdAt: string };
      await writeFile(manifestFile, JSON.stringify({ ...manifest, createdAt: new Date(Date.now() + round).toISOString() }));
      start = performance.now();
      const outcome = await slot.reload('bench');
      loads.push(performance.now() - start);
      if (!outcome.changed) throw new Error(`reload did not take the model: ${outcome.error ?? 'unchanged'}`);

      let ticks = 0;
      let longestTick = 0;
      let total = 0;
      while (pipeline.scoring.awaitingRescore > 0) {
        start = performance.now();
        pipeline.scoring.tick();
        const took = performance.now() - start;
        total += took;
        longestTick = Math.max(longestTick, took);
        ticks++;
      }
      if (pipeline.scoring.counters.rescoredAfterSwap !== sessions) {
        throw new Error(`re-scored ${pipeline.scoring.counters.rescoredAfterSwap} of ${sessions} sessions`);
      }
      rescores.push(total);
      longest.push(longestTick);
      tickCounts.push(ticks);
    }
  } finally {
    await setup.close();
    await rm(modelDir, { recursive: true, force: true });
  }
  return {
    sessions,
    callsPerSession,
    loadMs: median(loads),
    ingestMs: median(ingests),
    rescoreMs: median(rescores),
    ticks: median(tickCounts),
    longestTickMs: median(longest),
  };
}
