import { formatDiagnostic } from './diagnostics.js';
import type { RuleDiagnostic } from './diagnostics.js';
import type { RuleSetSummary } from './rule-set.js';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The summary line of a compiled set: `14 rules (9 sequence, 4 threshold, 1 match), 6 lists, 5 macros`. */
export function describeSummary(summary: RuleSetSummary): string {
  const kinds = (['sequence', 'threshold', 'match'] as const)
    .filter((kind) => summary.byKind[kind] > 0)
    .map((kind) => `${summary.byKind[kind]} ${kind}`);
  const disabled = summary.disabled > 0 ? `, ${summary.disabled} disabled` : '';
  return `${plural(summary.rules, 'rule')}${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}${disabled}, ${plural(summary.lists, 'list')}, ${plural(summary.macros, 'macro')} from ${plural(summary.files.length, 'file')}`;
}

/** One line per diagnostic, then a verdict line; the same text for the CLI, the API and logs. */
export function formatReport(
  errors: readonly RuleDiagnostic[],
  warnings: readonly RuleDiagnostic[],
  verdict: string,
): string {
  const lines = [...errors, ...warnings]
    .sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1))
    .map(formatDiagnostic);
  lines.push(`${verdict} (${plural(errors.length, 'error')}, ${plural(warnings.length, 'warning')})`);
  return lines.join('\n');
}
