import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Finding } from '../../detectors/finding.js';
import { TOOL_EFFECTS } from '../../normalize/index.js';
import type { ToolEffect } from '../../normalize/index.js';

/** What evaluation needs of a finding: enough to re-combine the session's risk without a detector. */
export type ScoredFinding = Pick<Finding, 'detector' | 'id' | 'score' | 'callIndex'>;

/** One line of `chainwatch score` output, as evaluation reads it. */
export interface ScoredSessionLine {
  readonly session: string;
  readonly traceIds: readonly string[];
  readonly score: number;
  readonly findings: readonly ScoredFinding[];
  /**
   * Whether each call, in session order, has a side effect: it writes, deletes or sends, or reaches
   * outside (a fetch); undefined for files written before `chainwatch score` listed calls.
   */
  readonly callSideEffects: readonly boolean[] | undefined;
  /**
   * From `chainwatch score --live`: the last call the session had when it first reached the alert level
   * as it streamed (-1: before any), null when it never did; undefined when not scored live.
   */
  readonly liveAlertCallIndex: number | null | undefined;
  readonly line: number;
}

export class ScoresFileError extends Error {
  override readonly name = 'ScoresFileError';
}

/** Reads the JSON lines `chainwatch score` writes; a malformed line stops with its file and line. */
export async function readScoresFile(path: string): Promise<ScoredSessionLine[]> {
  const input = createReadStream(path, 'utf8');
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (error) {
    throw new ScoresFileError(`${path}: cannot read: ${(error as Error).message}`);
  }
  const sessions: ScoredSessionLine[] = [];
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    sessions.push(parseScoredLine(text, `${path}:${line}`, line));
  }
  return sessions;
}

export function parseScoredLine(text: string, where: string, line: number): ScoredSessionLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ScoresFileError(`${where}: not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ScoresFileError(`${where}: expected a JSON object`);
  const record = value as Record<string, unknown>;
  if (typeof record.session !== 'string' || record.session === '') throw new ScoresFileError(`${where}: 'session' must be a non-empty string`);
  if (typeof record.score !== 'number' || !Number.isFinite(record.score)) throw new ScoresFileError(`${where}: 'score' must be a number`);
  const traceIds = record.traceIds ?? [];
  if (!Array.isArray(traceIds) || !traceIds.every((id) => typeof id === 'string')) {
    throw new ScoresFileError(`${where}: 'traceIds' must be a list of strings`);
  }
  if (!Array.isArray(record.findings)) throw new ScoresFileError(`${where}: 'findings' must be a list`);
  const findings = record.findings.map((finding: unknown, index) => parseFinding(finding, `${where}: findings[${index}]`));
  const live = record.liveAlertCallIndex;
  if (live !== undefined && live !== null && !(typeof live === 'number' && Number.isInteger(live) && live >= -1)) {
    throw new ScoresFileError(`${where}: 'liveAlertCallIndex' must be an integer >= -1 or null`);
  }
  return {
    session: record.session,
    traceIds,
    score: record.score,
    findings,
    callSideEffects: parseCallSideEffects(record.calls, where),
    liveAlertCallIndex: live,
    line,
  };
}

function parseCallSideEffects(value: unknown, where: string): boolean[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new ScoresFileError(`${where}: 'calls' must be a list`);
  return value.map((call: unknown, index) => {
    const { effect, outbound } = typeof call === 'object' && call !== null ? (call as Record<string, unknown>) : {};
    if (!TOOL_EFFECTS.includes(effect as ToolEffect)) {
      throw new ScoresFileError(`${where}: calls[${index}].effect must be one of ${TOOL_EFFECTS.join(', ')}`);
    }
    // Absent in files written before calls said whether they reach outside.
    if (outbound !== undefined && typeof outbound !== 'boolean') throw new ScoresFileError(`${where}: calls[${index}].outbound must be a boolean`);
    return effect !== 'read' || outbound === true;
  });
}

function parseFinding(value: unknown, where: string): ScoredFinding {
  if (typeof value !== 'object' || value === null) throw new ScoresFileError(`${where}: expected an object`);
  const { detector, id, score, callIndex } = value as Record<string, unknown>;
  if (typeof detector !== 'string' || typeof id !== 'string') throw new ScoresFileError(`${where}: 'detector' and 'id' must be strings`);
  if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
    throw new ScoresFileError(
      `${where}: 'score' must be a number in [0, 1]` +
        (score === undefined ? ' (written by an older `chainwatch score`? score the traces again)' : ''),
    );
  }
  if (typeof callIndex !== 'number' || !Number.isInteger(callIndex) || callIndex < -1) {
    throw new ScoresFileError(`${where}: 'callIndex' must be an integer >= -1`);
  }
  return { detector, id, score, callIndex };
}
