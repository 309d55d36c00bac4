import type { EvaluationResult, LiveMetrics, VariantMetrics } from './evaluate.js';
import type { LeadTime } from './lead-time.js';

export interface ReportContext {
  readonly title: string;
  readonly scoresPath: string;
  readonly labelsPath: string;
  /** Plot files relative to the report, by plot name (`roc`, `roc-log`, ...). */
  readonly plots: ReadonlyArray<{ readonly name: string; readonly svg: string; readonly png: string }>;
}

export function percent(value: number, digits = 1): string {
  return Number.isNaN(value) ? 'n/a' : `${(value * 100).toFixed(digits)}%`;
}

function fixed(value: number, digits = 4): string {
  return Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
}

function inTime(lead: LeadTime): string {
  return lead.sessions === 0 ? 'n/a' : `${percent(lead.share)} (${lead.inTime}/${lead.sessions})`;
}

/** The headline table: one row per variant, the protocol's metrics for one attack set. */
export function variantTable(result: EvaluationResult, attackSetIndex: number): string {
  const header =
    '| detectors | ROC AUC | TPR @0.1% FPR | TPR @1% FPR | TPR @5% FPR | FPR attack_failed | FPR attack_failed, inj_seen | alert in time | calls ahead (median) | alert before the side effect |';
  const rule = '|---|---|---|---|---|---|---|---|---|---|';
  const rows = result.variants.map((variant: VariantMetrics) => {
    const set = variant.attackSets[attackSetIndex];
    if (set === undefined) return '';
    const tpr = set.operatingPoints.map((p) => percent(p.tpr));
    const lead = set.leadTime;
    return (
      `| ${variant.name} | ${fixed(set.auc)} | ${tpr.join(' | ')} | ${percent(variant.failedFpr)} | ${percent(variant.injSeenFailedFpr)} | ` +
      `${inTime(lead)} | ${Number.isNaN(lead.medianCallsAhead) ? 'n/a' : lead.medianCallsAhead} | ${inTime(set.leadTimeToSideEffect)} |`
    );
  });
  return [header, rule, ...rows].join('\n');
}

/** The whole report as Markdown. */
export function renderReport(result: EvaluationResult, context: ReportContext): string {
  const c = result.counts;
  const out: string[] = [];
  out.push(`# ${context.title}`, '');
  out.push(`Scores: \`${context.scoresPath}\`; labels: \`${context.labelsPath}\` (split: ${result.split}${result.where.map((c) => `; ${c.column} = ${c.value}`).join('')}). Findings re-combined with ${result.combinerName}.`, '');
  out.push('## Sessions', '');
  out.push('| population | sessions |', '|---|---|');
  out.push(`| benign | ${c.benign} |`);
  out.push(`| attack_success | ${c.attackSuccess} |`);
  out.push(`| attack_success without DoS (${c.dos}) and agent errors (${c.agentErrors ?? 'unknown: no --traces'}) | ${c.attackSuccessHarmful} |`);
  out.push(`| attack_failed | ${c.attackFailed} |`);
  out.push(`| attack_failed, inj_seen | ${c.attackFailedInjSeen} |`);
  out.push('');
  if (c.missingScores > 0) out.push(`${c.missingScores} labelled sessions had no line in the scores file and count as score 0.`, '');
  if (c.unlabelledScores > 0) out.push(`${c.unlabelledScores} scored sessions match no label row (ignored).`, '');
  if (c.recombinationMismatches > 0) {
    out.push(
      `**${c.recombinationMismatches} sessions' findings do not re-combine to their score** with ${result.combinerName}: ` +
        'the ablation rows and lead times use re-combined scores (pass the `--model` the scores came from).',
      '',
    );
  }

  out.push('## Targets', '', '| target | required | value | met |', '|---|---|---|---|');
  for (const t of result.targets) out.push(`| ${t.name} | ${t.target} | ${t.name.startsWith('ROC') ? fixed(t.value) : percent(t.value)} | ${t.met ? 'yes' : 'no'} |`);
  out.push('');

  const threshold = result.variants[0]?.threshold ?? Number.NaN;
  out.push(
    '## Metrics', '',
    'Thresholds are set on the benign sessions (TPR at x% FPR: the threshold above which at most x% of benign sessions score). ' +
      `FPR on attack_failed and the lead time are at the 1% FPR threshold (${fixed(threshold)} for all detectors). ` +
      '"Alert in time": of the detected sessions with a known first harmful call, the share whose re-combined risk first crossed the ' +
      'threshold at or before that call; "calls ahead": the median number of calls between the alert and the harmful call. ' +
      '"Alert before the side effect": the same share against the first call from the harmful one on that writes, deletes, sends or reaches outside (a fetch) ' +
      '(a harmful read changes nothing yet, and a pre-flight check can still stop the action); n/a when the scores file does not list the calls.',
    '',
  );
  const setNames = result.variants[0]?.attackSets.map((s) => s.name) ?? [];
  setNames.forEach((name, index) => {
    const positives = result.variants[0]?.attackSets[index]?.positives ?? 0;
    out.push(`### ${name} (${positives}) vs benign (${c.benign})`, '', variantTable(result, index), '');
  });

  if (result.atModelThresholds.length > 0) out.push(...modelThresholdSection(result), '');
  if (result.live !== undefined) out.push(...liveSection(result, result.live), '');

  if (result.byAttack.length > 0) {
    out.push('## By attack (all detectors, 1% FPR threshold)', '', '| attack / label | sessions | flagged |', '|---|---|---|');
    for (const g of result.byAttack) out.push(`| ${g.group} | ${g.sessions} | ${percent(g.flagged)} |`);
    out.push('');
  }
  if (result.byPipeline.length > 0) {
    out.push('## By pipeline (all detectors, 1% FPR threshold)', '', '| pipeline | benign | FPR | attack_success | TPR |', '|---|---|---|---|---|');
    for (const p of result.byPipeline) {
      out.push(`| ${p.pipeline} | ${p.benign.sessions} | ${percent(p.benign.flagged)} | ${p.attackSuccess.sessions} | ${percent(p.attackSuccess.flagged)} |`);
    }
    out.push('');
  }
  if (context.plots.length > 0) {
    out.push('## Plots', '');
    for (const plot of context.plots) out.push(`![${plot.name}](${plot.svg}) ([PNG](${plot.png}))`, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * All detectors at the thresholds the model set on its training traffic, without labels: what a
 * deployment alerts at, and how far the realised false-positive rate drifts from its target on new traffic.
 */
function modelThresholdSection(result: EvaluationResult): string[] {
  const sets = result.variants[0]?.attackSets.map((s) => s.name) ?? [];
  const lines = [
    "## At the model's own thresholds",
    '',
    'The thresholds above are set on the evaluated benign sessions, with their labels. A deployment has no labels: it alerts at the ' +
      "thresholds the model set on its benign training traffic (`thresholds.json`; the alert threshold is where a session's level becomes " +
      '`high` and sampling escalates). This is how those thresholds do on the evaluated sessions; "FPR benign" is the realised rate ' +
      'against the target set in training. Lead time as above, over the detected attack_success sessions.',
    '',
    `| target FPR (training) | threshold | FPR benign | ${sets.map((name) => `TPR ${name}`).join(' | ')} | FPR attack_failed | FPR attack_failed, inj_seen | alert in time | alert before the side effect |`,
    `|---|---|---|${sets.map(() => '---|').join('')}---|---|---|---|`,
  ];
  for (const t of result.atModelThresholds) {
    lines.push(
      `| ${percent(t.targetFpr)}${t.alert ? ' (alert)' : ''} | ${fixed(t.threshold)} | ${percent(t.benignFpr)} | ${t.tpr.map((tpr) => percent(tpr)).join(' | ')} | ` +
        `${percent(t.failedFpr)} | ${percent(t.injSeenFailedFpr)} | ${inTime(t.leadTime)} | ${inTime(t.leadTimeToSideEffect)} |`,
    );
  }
  return lines;
}

/** The model's alert level as the sessions streamed, span by span (`score --live`). */
function liveSection(result: EvaluationResult, live: LiveMetrics): string[] {
  const sets = result.variants[0]?.attackSets.map((s) => s.name) ?? [];
  return [
    '## As the sessions streamed',
    '',
    'Scored with `chainwatch score --live`: each session\'s spans one at a time, in the order they end, as exporters deliver ' +
      "them; the agent's root span, which carries the prompt unless a model call brought it earlier, comes last. A session counts " +
      'as alerted when its risk reached the alert level on the way, even if it fell back later; lead time is where that happened, ' +
      'counted as the calls that had come in by then (calls made in parallel may end in another order than they started).',
    '',
    '| population | alerted as it streamed |',
    '|---|---|',
    `| benign | ${percent(live.benignAlerted)} |`,
    ...sets.map((name, i) => `| ${name} | ${percent(live.attackAlerted[i] ?? Number.NaN)} |`),
    `| attack_failed | ${percent(live.failedAlerted)} |`,
    `| attack_failed, inj_seen | ${percent(live.injSeenFailedAlerted)} |`,
    '',
    `Alert at or before the first harmful call: ${inTime(live.leadTime)}; at or before the first side effect from it: ${inTime(live.leadTimeToSideEffect)}.`,
  ];
}

/** A few lines for the terminal. */
export function renderSummary(result: EvaluationResult): string {
  const lines: string[] = [];
  for (const variant of result.variants) {
    const set = variant.attackSets[0];
    const harmful = variant.attackSets[1];
    if (set === undefined) continue;
    const at1 = set.operatingPoints.find((p) => p.targetFpr === 0.01);
    lines.push(
      `${variant.name.padEnd(26)} AUC ${fixed(set.auc)}  TPR@1% ${percent(at1?.tpr ?? Number.NaN).padStart(6)}` +
        `  (harmful-only AUC ${fixed(harmful?.auc ?? Number.NaN)}, TPR@1% ${percent(harmful?.operatingPoints.find((p) => p.targetFpr === 0.01)?.tpr ?? Number.NaN)})` +
        `  FPR failed/inj_seen ${percent(variant.injSeenFailedFpr)}  in time ${percent(set.leadTime.share)}` +
        ` (before the side effect ${percent(set.leadTimeToSideEffect.share)})`,
    );
  }
  const alert = result.atModelThresholds.find((t) => t.alert);
  if (alert !== undefined) {
    lines.push(
      `${"at the model's alert".padEnd(26)} threshold ${fixed(alert.threshold)} (${percent(alert.targetFpr)} of training): FPR benign ${percent(alert.benignFpr)}` +
        `  TPR ${percent(alert.tpr[0] ?? Number.NaN)} (harmful-only ${percent(alert.tpr[1] ?? Number.NaN)})  FPR failed/inj_seen ${percent(alert.injSeenFailedFpr)}` +
        `  in time ${percent(alert.leadTime.share)}`,
    );
  }
  const live = result.live;
  if (live !== undefined) {
    lines.push(
      `${'live (spans as they end)'.padEnd(26)} alerted: benign ${percent(live.benignAlerted)}  attack_success ${percent(live.attackAlerted[0] ?? Number.NaN)}` +
        ` (harmful-only ${percent(live.attackAlerted[1] ?? Number.NaN)})  failed/inj_seen ${percent(live.injSeenFailedAlerted)}  in time ${percent(live.leadTime.share)}`,
    );
  }
  const met = result.targets.filter((t) => t.met).length;
  lines.push(`targets met: ${met}/${result.targets.length}`);
  const { missingScores, labelled, benign } = result.counts;
  if (missingScores > 0) lines.push(`${missingScores} of ${labelled} label rows have no score and count as 0`);
  if (benign === 0) lines.push('no benign rows: figures at a fixed FPR need them (n/a)');
  return lines.join('\n');
}
