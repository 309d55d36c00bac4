import type { LabelRow } from './simulate-session.js';

/** `labels.csv` in the AgentDojo dataset's column order. */

export const LABEL_COLUMNS = [
  'session',
  'suite',
  'user_task',
  'model',
  'pipeline',
  'label',
  'attack',
  'injection_task',
  'inj_seen',
  'split',
  'first_harmful_call',
  'trace',
] as const satisfies readonly (keyof LabelRow)[];

function cell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Rows sorted by session key, as in the AgentDojo file. */
export function renderLabelsCsv(rows: readonly LabelRow[]): string {
  const sorted = [...rows].sort((a, b) => (a.session < b.session ? -1 : a.session > b.session ? 1 : 0));
  const lines = [LABEL_COLUMNS.join(',')];
  for (const row of sorted) lines.push(LABEL_COLUMNS.map((column) => cell(row[column])).join(','));
  return `${lines.join('\n')}\n`;
}
