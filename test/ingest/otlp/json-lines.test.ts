import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpDecodeError, readOtlpJsonLines } from '../../../src/ingest/otlp/index.js';
import type { OtlpJsonLine } from '../../../src/ingest/otlp/index.js';
import { sdkScenario, toJsonText } from './otlp-fixtures.js';

const DATASET = new URL('../../../../shared/datasets/agentdojo-dev/traces.otlp.jsonl.gz', import.meta.url);

let directory = '';
let linesText = '';
let spanCount = 0;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'otlp-json-lines-'));
  const { spans } = await sdkScenario();
  spanCount = spans.length;
  const request = toJsonText(spans);
  // line 1 good, 2 blank, 3 not JSON, 4 good (CRLF), 5 JSON but not a request, 6 good
  linesText = [request, '', '{"resourceSpans": [', `${request}\r`, '[1, 2]', request].join('\n');
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function readAll(path: string): Promise<OtlpJsonLine[]> {
  const items: OtlpJsonLine[] = [];
  for await (const item of readOtlpJsonLines(path)) items.push(item);
  return items;
}

describe.each([
  { kind: 'plain', name: 'traces.jsonl', encode: (text: string) => text },
  { kind: 'gzipped', name: 'traces.jsonl.gz', encode: (text: string) => gzipSync(text) },
])('readOtlpJsonLines on a $kind file', ({ name, encode }) => {
  it('yields each line by number, reports bad lines with file and line, and reads on', async () => {
    const path = join(directory, name);
    await writeFile(path, encode(linesText));
    const items = await readAll(path);
    expect(items.map((item) => item.line)).toEqual([1, 3, 4, 5, 6]);
    for (const good of [items[0], items[2], items[4]]) {
      expect(good?.error).toBeUndefined();
      expect(good?.batch?.spans).toHaveLength(spanCount);
    }
    const [, badJson, , notRequest] = items;
    expect(badJson?.batch).toBeUndefined();
    expect(badJson?.error).toBeInstanceOf(OtlpDecodeError);
    expect(badJson?.error?.message).toMatch(new RegExp(`^file:${escape(path)}:3: not valid JSON`));
    expect(notRequest?.error?.message).toBe(
      `file:${path}:5: expected an ExportTraceServiceRequest object, got an array`,
    );
  });
});

describe('readOtlpJsonLines', () => {
  it('ends with an error item when a gzip file is cut short, after the lines it could read', async () => {
    const path = join(directory, 'cut.jsonl.gz');
    const whole = gzipSync(linesText);
    await writeFile(path, whole.subarray(0, whole.length - 20));
    const items = await readAll(path);
    const last = items.at(-1);
    expect(last?.error).toBeInstanceOf(OtlpDecodeError);
    expect(last?.error?.message).toMatch(new RegExp(`^file:${escape(path)}: cannot read past line \\d+: unexpected end of file$`));
    expect(items[0]?.batch?.spans).toHaveLength(spanCount);
  });

  it('rejects when the file cannot be opened', async () => {
    await expect(readAll(join(directory, 'missing.jsonl'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads the AgentDojo dataset line by line and can stop early', async () => {
    const seen: number[] = [];
    for await (const item of readOtlpJsonLines(DATASET.pathname)) {
      expect(item.error).toBeUndefined();
      expect(item.batch?.rejected).toEqual([]);
      expect(item.batch?.spans.length).toBeGreaterThan(0);
      seen.push(item.line);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
