import type { Logger } from 'pino';
import { readOtlpJsonLines } from './otlp/json-lines.js';
import type { DecodedBatch } from './otlp/types.js';

export interface TraceFileReplayOptions {
  readonly logger: Logger;
  /** Called per line with how far the current file has come (progress bars). */
  readonly onLine?: (file: string, line: number) => void | Promise<void>;
  /** Called when a file starts and ends (progress bars). */
  readonly onFile?: (file: string, phase: 'start' | 'end') => void;
}

export interface TraceFileReplay {
  readonly lines: number;
  readonly badLines: number;
}

/**
 * Feeds OTLP/JSON lines files (`.gz` accepted) to `accept`, one export request per line. A line that is
 * not an export request is logged with its file and line and skipped; the files go on.
 */
export async function replayTraceFiles(
  files: readonly string[],
  accept: (batch: DecodedBatch, origin: string) => void,
  options: TraceFileReplayOptions,
): Promise<TraceFileReplay> {
  let lines = 0;
  let badLines = 0;
  for (const file of files) {
    options.onFile?.(file, 'start');
    for await (const item of readOtlpJsonLines(file)) {
      lines++;
      if (item.batch === undefined) {
        badLines++;
        options.logger.warn({ err: item.error, file, line: item.line }, 'skipped a line that is not an OTLP export request');
      } else {
        accept(item.batch, `file:${file}:${item.line}`);
      }
      await options.onLine?.(file, item.line);
    }
    options.onFile?.(file, 'end');
  }
  return { lines, badLines };
}
