import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/service-config.js';
import { replayTraceFiles } from '../ingest/trace-file-replay.js';
import { loadToolCatalog, ToolCatalog } from '../normalize/tool-catalog.js';
import { SILENT_SINK } from '../outputs/silent-sink.js';
import type { Session } from '../session/session.js';
import { createPipeline } from '../service/pipeline.js';
import { readLabelsFile } from '../training/evaluation/labels-file.js';
import type { LabelsFile } from '../training/evaluation/labels-file.js';
import { selectRows } from '../training/evaluation/row-selection.js';
import type { RowCondition, RowSelection } from '../training/evaluation/row-selection.js';
import type { NormalizedSession } from '../training/replay-session.js';
import { contentCoverageGaps } from '../training/content-coverage.js';
import type { CoverageGap } from '../training/content-coverage.js';
import { trainModel } from '../training/train-model.js';
import type { TrainModelOptions, TrainModelResult } from '../training/train-model.js';
import { createStageProgress, fileProgress } from './progress.js';
import { RuleSetManager, createRuleDetector } from '../detectors/rules/index.js';
import { BUNDLED_RULES } from '../service/detection-setup.js';

export interface TrainCommandOptions {
  readonly traces: readonly string[];
  readonly out: string;
  /** Tool catalog YAML; '' infers every tool's class from its name, as `score` does without one. */
  readonly catalog: string;
  readonly targetFpr: number;
  /** Train only on the sessions labelled benign (in that `split`, with those `where` fields). */
  readonly labels?: string;
  readonly split?: string;
  readonly where?: readonly RowCondition[];
  /** Session assembly settings (limits, store size); detection settings are not used. */
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly showProgress: boolean;
  /** Model settings passed to trainModel as they are (tests train small models). */
  readonly training?: Partial<Pick<TrainModelOptions, 'embedder' | 'clusters' | 'folds' | 'seed' | 'markovOrder' | 'weights'>>;
}

export interface TrainSummary {
  readonly lines: number;
  readonly badLines: number;
  /** Sessions assembled from the traces. */
  readonly sessions: number;
  /** Of those, trained on (all of them without labels). */
  readonly trainingSessions: number;
  /** With labels: sessions left out because no label row matched them. */
  readonly unlabelled: number;
  /** Content most training traffic lacked (prompts, arguments, results): the model is weaker without it. */
  readonly coverageGaps: readonly CoverageGap[];
  readonly result: TrainModelResult;
}

/**
 * `chainwatch train`: assembles sessions by replaying the traces through the scoring pipeline with no
 * detectors (so ordering, duplicates, nested calls and trace aliasing are exactly what scoring sees),
 * keeps the normal ones, and trains a model folder from them.
 */
export async function trainFromTraceFiles(options: TrainCommandOptions): Promise<TrainSummary> {
  const conditions = [...(options.split !== undefined ? [{ column: 'split', value: options.split }] : []), ...(options.where ?? [])];
  if (conditions.length > 0 && options.labels === undefined) throw new Error(`${options.split !== undefined ? '--split' : '--where'} needs --labels`);
  const labels = options.labels === undefined ? undefined : await readLabelsFile(options.labels);
  const selection = labels === undefined ? undefined : selectRows(labels, conditions);
  const catalog = options.catalog === '' ? new ToolCatalog() : await loadToolCatalog(options.catalog);
  const { training, assembled, lines, badLines, unlabelled } = await assembleSessions(options, catalog, labels, selection);
  if (training.length < 2) {
    throw new Error(
      `only ${training.length} training session${training.length === 1 ? '' : 's'} in ${options.traces.join(', ')}` +
        (labels === undefined ? '' : ` labelled benign${selection?.description ? ` with ${selection.description}` : ''} in ${labels.path}`),
    );
  }
  // The service runs the bundled rules beside the model: their evidence counts in its thresholds.
  const ruleSet = new RuleSetManager();
  const loadedRules = await ruleSet.load([BUNDLED_RULES]);
  if (!loadedRules.ok) throw new Error(`bundled rules rejected:\n${loadedRules.report}`);
  const stages = createStageProgress(options.showProgress);
  let lastStage = '';
  try {
    const result = await trainModel({
      sessions: training,
      outDir: options.out,
      targetFpr: options.targetFpr,
      rules: { detector: createRuleDetector(ruleSet), files: ['rules/default.yaml (bundled)'] },
      progress: (stage, done, total) => {
        // Logged too, so a run without a terminal (CI, a service) shows where the time goes.
        if (stage !== lastStage) options.logger.info({ stage, sessions: training.length }, 'training stage started');
        lastStage = stage;
        stages.update(stage, done, total);
      },
      log: (message) => options.logger.info(message),
      ...options.training,
    });
    const coverageGaps = contentCoverageGaps(result.manifest.counts);
    for (const gap of coverageGaps) options.logger.warn({ content: gap.content, have: gap.have, of: gap.of }, gap.message);
    return { lines, badLines, sessions: assembled, trainingSessions: training.length, unlabelled, coverageGaps, result };
  } finally {
    stages.stop();
  }
}

interface Assembled {
  readonly training: NormalizedSession[];
  readonly assembled: number;
  readonly lines: number;
  readonly badLines: number;
  readonly unlabelled: number;
}

async function assembleSessions(
  options: TrainCommandOptions,
  catalog: ToolCatalog,
  labels: LabelsFile | undefined,
  selection: RowSelection | undefined,
): Promise<Assembled> {
  const { logger } = options;
  const pipeline = createPipeline({ config: options.config, catalog, detectors: [], sink: SILENT_SINK, logger });
  const training: NormalizedSession[] = [];
  let assembled = 0;
  let unlabelled = 0;
  pipeline.store.onEvict((session) => {
    assembled++;
    if (labels !== undefined) {
      const row = labelOf(session, labels);
      if (row === undefined) unlabelled++;
      if (row === undefined || row.label !== 'benign' || selection?.matches(row) === false) return;
    }
    training.push({ id: session.id, prompt: session.prompt, calls: session.calls.map((call) => call.event) });
  });
  const progress = fileProgress(options.showProgress, 'reading');
  const { lines, badLines } = await replayTraceFiles(options.traces, (batch, origin) => pipeline.ingest.accept(batch, origin), {
    logger,
    onFile: progress.onFile,
    onLine: (_file, line) => progress.onLine(line),
  });
  pipeline.store.clear();
  if (unlabelled > 0) logger.warn({ sessions: unlabelled }, 'sessions without a label row were left out of training');
  return { training, assembled, lines, badLines, unlabelled };
}

/** By session key, else by any of its trace ids (spans without a session attribute are keyed by trace). */
export function labelOf(session: Pick<Session, 'id' | 'traceIds'>, labels: LabelsFile): ReturnType<LabelsFile['bySession']> {
  const direct = labels.bySession(session.id);
  if (direct !== undefined) return direct;
  for (const traceId of session.traceIds) {
    const row = labels.byTrace(traceId);
    if (row !== undefined) return row;
  }
  return undefined;
}
