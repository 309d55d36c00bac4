import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { decodeOtlpJson } from './decode.js';
import { OtlpDecodeError } from './errors.js';
import type { DecodedBatch } from './types.js';

/** One non-blank line of an OTLP/JSON lines file: its batch, or why it could not be read. */
export interface OtlpJsonLine {
  /** 1-based line number in the (decompressed) file. */
  readonly line: number;
  readonly batch?: DecodedBatch;
  readonly error?: Error;
}

/**
 * Reads a file of OTLP/JSON ExportTraceServiceRequests, one per line, as the OpenTelemetry
 * Collector's file exporter writes them; a name ending in `.gz` is gunzipped as it streams.
 * Blank lines are skipped. A line that does not decode yields an `OtlpDecodeError` naming the file
 * and line, and reading goes on. If the stream itself breaks (e.g. a truncated gzip), one last
 * item carries that error and the iteration ends.
 * @throws the file system's error (e.g. ENOENT) when the file cannot be opened.
 */
export async function* readOtlpJsonLines(path: string): AsyncGenerator<OtlpJsonLine, void, void> {
  const file = await open(path, 'r');
  const raw = file.createReadStream();
  const input: Readable = path.endsWith('.gz')
    ? pipeline(raw, createGunzip(), ignorePipelineResult)
    : raw;
  const lines = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
  let line = 0;
  try {
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = await lines.next();
      } catch (error) {
        yield { line: line + 1, error: unreadable(path, line, error) };
        return;
      }
      if (next.done === true) return;
      line++;
      if (next.value.trim() === '') continue;
      let item: OtlpJsonLine;
      try {
        item = { line, batch: decodeOtlpJson(next.value, `file:${path}:${line}`) };
      } catch (error) {
        if (!(error instanceof OtlpDecodeError)) throw error;
        item = { line, error };
      }
      yield item;
    }
  } finally {
    await lines.return?.();
    input.destroy();
    raw.destroy();
  }
}

function unreadable(path: string, line: number, cause: unknown): OtlpDecodeError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new OtlpDecodeError(`file:${path}: cannot read past line ${line}: ${reason}`, { cause });
}

// Errors reach the reader through the destroyed gunzip stream; nothing to do here.
function ignorePipelineResult(): void {}
