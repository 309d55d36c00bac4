import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RiskCombiner } from '../scoring/risk-combiner.js';
import { riskCombiner } from '../scoring/risk-combiner.js';
import { loadModel } from '../training/load-model.js';
import { readAgentErrors } from '../training/evaluation/agent-errors.js';
import { evaluate } from '../training/evaluation/evaluate.js';
import type { EvaluationResult, ModelThreshold } from '../training/evaluation/evaluate.js';
import { readLabelsFile } from '../training/evaluation/labels-file.js';
import { findFonts, renderEvaluationPlots } from '../training/evaluation/plots.js';
import { renderReport, renderSummary } from '../training/evaluation/report-markdown.js';
import type { RowCondition } from '../training/evaluation/row-selection.js';
import { readScoresFile } from '../training/evaluation/scores-file.js';
import { createProgress } from './progress.js';

export interface EvaluateCommandOptions {
  readonly scores: string;
  readonly labels: string;
  /** Folder for report.md, metrics.json and the plots; nothing is written without it. */
  readonly out?: string;
  /** The model folder the scores came from: its calibrated combiner re-combines findings. */
  readonly model?: string;
  readonly split?: string;
  /** Only label rows whose fields hold these values. */
  readonly where?: readonly RowCondition[];
  /** The scored traces, to find the sessions that ended on an agent error. */
  readonly traces?: readonly string[];
  readonly title?: string;
  readonly logger: Logger;
  readonly showProgress: boolean;
}

export interface EvaluateCommandResult {
  readonly result: EvaluationResult;
  readonly summary: string;
  /** Files written under `out`. */
  readonly files: readonly string[];
}

/** `chainwatch evaluate`: reads scores and labels, computes the metrics, writes the report and plots. */
export async function evaluateScoreFile(options: EvaluateCommandOptions): Promise<EvaluateCommandResult> {
  const { logger } = options;
  const [labels, scores] = await Promise.all([readLabelsFile(options.labels), readScoresFile(options.scores)]);
  const { combine, combinerName, modelThresholds } = await combinerFor(options.model, logger);
  let agentErrors;
  if (options.traces !== undefined && options.traces.length > 0) {
    const progress = createProgress(options.showProgress, 'finding agent errors');
    agentErrors = await readAgentErrors(options.traces, (_file, line) => progress.tick(line));
    progress.stop();
  }
  const result = evaluate({
    scores,
    labels,
    ...(options.split !== undefined ? { split: options.split } : {}),
    ...(options.where !== undefined ? { where: options.where } : {}),
    combine,
    combinerName,
    ...(agentErrors !== undefined ? { agentErrors } : {}),
    ...(modelThresholds !== undefined ? { modelThresholds } : {}),
  });
  if (result.counts.missingScores > 0) {
    logger.warn(
      { sessions: result.counts.missingScores, labelled: result.counts.labelled },
      'label rows without a line in the scores file count as score 0: score the same traces the labels describe',
    );
  }
  if (result.counts.recombinationMismatches > 0) {
    logger.warn(
      { sessions: result.counts.recombinationMismatches, combiner: combinerName },
      'findings do not re-combine to the scores in the file: pass --model with the folder the scores came from',
    );
  }
  const files: string[] = [];
  if (options.out !== undefined) {
    await mkdir(options.out, { recursive: true });
    const fonts = findFonts();
    if (fonts === undefined) logger.warn('no font files found: PNG plots will have no text (install fonts-dejavu-core); the SVGs are complete');
    const plots = await renderEvaluationPlots(result, fonts);
    for (const plot of plots) {
      await writeFile(join(options.out, `${plot.name}.svg`), plot.svg);
      await writeFile(join(options.out, `${plot.name}.png`), plot.png);
      files.push(`${plot.name}.svg`, `${plot.name}.png`);
    }
    const report = renderReport(result, {
      title: options.title ?? 'chainwatch evaluation',
      scoresPath: options.scores,
      labelsPath: options.labels,
      plots: plots.map((plot) => ({ name: plot.name, svg: `${plot.name}.svg`, png: `${plot.name}.png` })),
    });
    await writeFile(join(options.out, 'report.md'), report);
    const { curves: _curves, distributions: _distributions, ...metrics } = result;
    await writeFile(join(options.out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    files.push('report.md', 'metrics.json');
  }
  return { result, summary: renderSummary(result), files };
}

async function combinerFor(
  model: string | undefined,
  logger: Logger,
): Promise<{ combine: RiskCombiner; combinerName: string; modelThresholds?: ModelThreshold[] }> {
  if (model === undefined) return { combine: riskCombiner(), combinerName: 'the default combiner (no --model)' };
  const loaded = await loadModel(model, (message) => logger.info({ model }, message));
  const { alert, operatingPoints } = loaded.thresholds;
  return {
    combine: (findings, upTo) => loaded.combine(upTo === undefined ? findings : findings.filter((f) => f.callIndex <= upTo)).risk,
    combinerName: `the calibrated combiner of ${model}`,
    modelThresholds: [
      ...operatingPoints.filter((p) => p.fpr !== alert.targetFpr).map((p) => ({ targetFpr: p.fpr, threshold: p.threshold, alert: false })),
      { targetFpr: alert.targetFpr, threshold: alert.threshold, alert: true },
    ].sort((a, b) => a.targetFpr - b.targetFpr),
  };
}
