import { LabelsFileError } from './labels-file.js';
import type { LabelRow, LabelsFile } from './labels-file.js';

/** `column=value`: the label rows whose column holds that value. */
export interface RowCondition {
  readonly column: string;
  readonly value: string;
}

/** The label rows that meet every condition, and how to name them in messages. */
export interface RowSelection {
  matches(row: LabelRow): boolean;
  /** `split 'train' and suite 'travel'`; '' when there are no conditions. */
  readonly description: string;
}

/** Parses a `--where column=value`. */
export function parseRowCondition(text: string): RowCondition {
  const at = text.indexOf('=');
  const column = at < 0 ? '' : text.slice(0, at).trim();
  if (column === '') throw new Error(`--where '${text}': expected column=value (e.g. suite=travel)`);
  return { column, value: text.slice(at + 1).trim() };
}

/**
 * Selects the rows that meet every condition. A column the file lacks, a value no row holds, or
 * conditions no row meets together are refused, naming them: a typo must not select nothing silently.
 */
export function selectRows(labels: LabelsFile, conditions: readonly RowCondition[]): RowSelection {
  for (const { column, value } of conditions) {
    if (!labels.columns.includes(column)) {
      throw new LabelsFileError(`${labels.path}: no column '${column}' to select rows by (has: ${labels.columns.join(', ')})`);
    }
    if (!labels.rows.some((row) => row.fields[column] === value)) throw new LabelsFileError(`${labels.path}: no row has ${column} '${value}'`);
  }
  const matches = (row: LabelRow) => conditions.every(({ column, value }) => row.fields[column] === value);
  const description = conditions.map(({ column, value }) => `${column} '${value}'`).join(' and ');
  if (conditions.length > 1 && !labels.rows.some(matches)) throw new LabelsFileError(`${labels.path}: no row has ${description}`);
  return { matches, description };
}
