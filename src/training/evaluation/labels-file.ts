import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';

export const SESSION_LABELS = ['benign', 'attack_success', 'attack_failed'] as const;
export type SessionLabel = (typeof SESSION_LABELS)[number];

/** One row of a labels CSV; columns other than `session` and `label` are optional. */
export interface LabelRow {
  readonly session: string;
  readonly label: SessionLabel;
  /** '' when the file has no `split` column. */
  readonly split: string;
  /** undefined when not given (benign sessions, or no `inj_seen` column). */
  readonly injSeen: boolean | undefined;
  /** 0-based index of the first call that carries out the attacker goal; undefined when not given. */
  readonly firstHarmfulCall: number | undefined;
  readonly pipeline: string;
  readonly attack: string;
  /** The session's trace id, '' when not given: the only link for spans without a session attribute. */
  readonly trace: string;
  /** Every column of the row by its header name, trimmed: for selecting rows (`--where`). */
  readonly fields: Readonly<Record<string, string>>;
  /** 1-based line of the row in the file, for messages. */
  readonly line: number;
}

export class LabelsFileError extends Error {
  override readonly name = 'LabelsFileError';
}

export interface LabelsFile {
  readonly path: string;
  readonly rows: readonly LabelRow[];
  readonly columns: readonly string[];
  bySession(id: string): LabelRow | undefined;
  byTrace(traceId: string): LabelRow | undefined;
}

const REQUIRED_COLUMNS = ['session', 'label'] as const;

/**
 * Reads a labels CSV (`session,label` plus optional `split`, `inj_seen`, `first_harmful_call`,
 * `pipeline`, `attack`, `trace`, any others kept as plain fields). Every problem names the file and line.
 */
export async function readLabelsFile(path: string): Promise<LabelsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LabelsFileError(`${path}: cannot read: ${(error as Error).message}`);
  }
  return parseLabels(text, path);
}

export function parseLabels(text: string, path: string): LabelsFile {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { info: true, skip_empty_lines: true, relax_column_count: false, bom: true }) as unknown as typeof records;
  } catch (error) {
    const lines = (error as { lines?: number }).lines;
    throw new LabelsFileError(`${path}${lines === undefined ? '' : `:${lines}`}: not valid CSV: ${(error as Error).message}`);
  }
  const header = records[0]?.record.map((column) => column.trim());
  if (header === undefined) throw new LabelsFileError(`${path}: empty file; expected a header with ${REQUIRED_COLUMNS.join(', ')}`);
  const missing = REQUIRED_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new LabelsFileError(`${path}:1: header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (has: ${header.join(', ')})`);
  }
  const column = (name: string) => header.indexOf(name);
  const at = { session: column('session'), label: column('label'), split: column('split'), injSeen: column('inj_seen'), first: column('first_harmful_call'), pipeline: column('pipeline'), attack: column('attack'), trace: column('trace') };

  const rows: LabelRow[] = [];
  const sessions = new Map<string, LabelRow>();
  const traces = new Map<string, LabelRow>();
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    const cell = (index: number) => (index < 0 ? '' : (record[index] ?? '').trim());
    const where = `${path}:${line}`;
    const session = cell(at.session);
    if (session === '') throw new LabelsFileError(`${where}: empty session`);
    const label = cell(at.label);
    if (!(SESSION_LABELS as readonly string[]).includes(label)) {
      throw new LabelsFileError(`${where}: label '${label}' is not one of ${SESSION_LABELS.join(', ')}`);
    }
    const row: LabelRow = {
      session,
      label: label as SessionLabel,
      split: cell(at.split),
      injSeen: parseBoolean(cell(at.injSeen), `${where}: inj_seen`),
      firstHarmfulCall: parseIndex(cell(at.first), `${where}: first_harmful_call`),
      pipeline: cell(at.pipeline),
      attack: cell(at.attack),
      trace: cell(at.trace).toLowerCase(),
      fields: Object.fromEntries(header.map((name, index) => [name, cell(index)])),
      line,
    };
    const earlier = sessions.get(session);
    if (earlier !== undefined) throw new LabelsFileError(`${where}: session '${session}' already labelled on line ${earlier.line}`);
    sessions.set(session, row);
    if (row.trace !== '') {
      // A trace id finds a session whose spans carry no session attribute: it must name one.
      const sharing = traces.get(row.trace);
      if (sharing !== undefined) throw new LabelsFileError(`${where}: trace '${row.trace}' is already session '${sharing.session}'s, on line ${sharing.line}`);
      traces.set(row.trace, row);
    }
    rows.push(row);
  }
  return {
    path,
    rows,
    columns: header,
    bySession: (id) => sessions.get(id),
    byTrace: (traceId) => traces.get(traceId.toLowerCase()),
  };
}

function parseBoolean(value: string, what: string): boolean | undefined {
  if (value === '') return undefined;
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new LabelsFileError(`${what} '${value}' is not true or false`);
}

function parseIndex(value: string, what: string): number | undefined {
  if (value === '') return undefined;
  const index = Number(value);
  if (!Number.isInteger(index) || index < 0) throw new LabelsFileError(`${what} '${value}' is not a call index (an integer >= 0)`);
  return index;
}
