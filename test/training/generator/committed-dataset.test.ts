import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOtlpJsonLines } from '../../../src/ingest/otlp/index.js';
import { loadToolCatalog, SpanNormalizer } from '../../../src/normalize/index.js';
import { readLabelsFile } from '../../../src/training/evaluation/labels-file.js';
import {
  DATASET_FILES,
  ENTERPRISE_MCP_DEFAULTS,
  generateDataset,
  LABEL_COLUMNS,
} from '../../../src/training/generator/index.js';
import type { DatasetSummary } from '../../../src/training/generator/index.js';

/** datasets/enterprise-mcp/ must be what the generator writes with its defaults, and its README must match it. */

const COMMITTED = fileURLToPath(new URL('../../../datasets/enterprise-mcp/', import.meta.url));
const MAX_TRACES_BYTES = 8 * 1024 * 1024;

type Row = Record<(typeof LABEL_COLUMNS)[number], string>;

function parseLabels(text: string): Row[] {
  return text
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => {
      const cells = line.split(',');
      return Object.fromEntries(LABEL_COLUMNS.map((c, i) => [c, cells[i] ?? ''])) as Row;
    });
}

/** The rows of the markdown table whose header line is `header`, as cell arrays. */
function table(readme: string, header: string): string[][] {
  const lines = readme.split('\n');
  const start = lines.indexOf(header);
  expect(start, header).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  expect(rows.length, header).toBeGreaterThan(0);
  return rows;
}

describe('datasets/enterprise-mcp', () => {
  let dir: string;
  let summary: DatasetSummary;
  let rows: Row[];
  let readme: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cw-gen-default-'));
    summary = await generateDataset({ ...ENTERPRISE_MCP_DEFAULTS, outDir: dir });
    rows = parseLabels(await readFile(join(COMMITTED, DATASET_FILES.labels), 'utf8'));
    readme = await readFile(join(COMMITTED, 'README.md'), 'utf8');
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is what generateDataset writes with ENTERPRISE_MCP_DEFAULTS', async () => {
    // gzip bytes depend on the zlib build, so the traces are compared decompressed.
    const fresh = gunzipSync(await readFile(join(dir, DATASET_FILES.traces)));
    const committed = gunzipSync(await readFile(join(COMMITTED, DATASET_FILES.traces)));
    expect(fresh.equals(committed)).toBe(true);
    for (const file of [DATASET_FILES.labels, DATASET_FILES.catalog]) {
      expect((await readFile(join(dir, file))).equals(await readFile(join(COMMITTED, file))), file).toBe(true);
    }
  });

  it('keeps the compressed traces under 8 MB', async () => {
    expect((await stat(join(COMMITTED, DATASET_FILES.traces))).size).toBeLessThan(MAX_TRACES_BYTES);
  });

  it('states the counts that the labels have', () => {
    expect(readme).toContain(`${summary.sessions.toLocaleString('en-US')} sessions`);
    expect(readme).toContain(`${summary.toolCalls.toLocaleString('en-US')} tool calls`);
    const count = (pick: (r: Row) => boolean): string => String(rows.filter(pick).length);

    for (const [label, train, test, total] of table(readme, '| label | train | test | total |')) {
      const ofLabel = (r: Row): boolean => label === 'all' || r.label === label;
      expect([train, test, total], label).toEqual([
        count((r) => ofLabel(r) && r.split === 'train'),
        count((r) => ofLabel(r) && r.split === 'test'),
        count(ofLabel),
      ]);
    }
    for (const [suite, benign, success, failed, total] of table(
      readme,
      '| suite | benign | attack_success | attack_failed | total |',
    )) {
      expect([benign, success, failed, total], suite).toEqual([
        count((r) => r.suite === suite && r.label === 'benign'),
        count((r) => r.suite === suite && r.label === 'attack_success'),
        count((r) => r.suite === suite && r.label === 'attack_failed'),
        count((r) => r.suite === suite),
      ]);
    }
    for (const cells of table(
      readme,
      '| attack | what happens after the injection is read | injection tasks | success | failed |',
    )) {
      const [attack, , , success, failed] = cells as [string, string, string, string, string];
      expect([success, failed], attack).toEqual([
        count((r) => r.attack === attack && r.label === 'attack_success'),
        count((r) => r.attack === attack && r.label === 'attack_failed'),
      ]);
    }
    const seen = (label: string, value: string): string => count((r) => r.label === label && r.inj_seen === value);
    expect(readme).toContain(
      `attack_success: ${seen('attack_success', 'true')} yes, ${seen('attack_success', 'false')} no`,
    );
    expect(readme).toContain(
      `attack_failed: ${seen('attack_failed', 'true')} yes, ${seen('attack_failed', 'false')} no`,
    );
  });

  it("reads through chainwatch's own OTLP reader, normalizer and labels reader without a rejected span", async () => {
    const catalog = await loadToolCatalog(join(COMMITTED, DATASET_FILES.catalog));
    const labels = await readLabelsFile(join(COMMITTED, DATASET_FILES.labels));
    const normalizer = new SpanNormalizer(catalog);
    let lines = 0;
    let toolCalls = 0;
    for await (const line of readOtlpJsonLines(join(COMMITTED, DATASET_FILES.traces))) {
      expect(line.error).toBeUndefined();
      expect(line.batch!.rejected).toEqual([]);
      const { events, rejected } = normalizer.normalize(line.batch!.spans);
      expect(rejected).toEqual([]);
      const roots = events.filter((e) => e.type === 'session_root');
      expect(roots).toHaveLength(1);
      const row = labels.bySession(roots[0]!.sessionId);
      expect(row?.trace).toBe(roots[0]!.traceId);
      for (const event of events) {
        expect(event.sessionId).toBe(row!.session);
        expect(event.sessionKey).not.toBe('trace');
        if (event.type === 'tool_call') {
          expect(event.toolClass.inferred).toBe(false);
          expect(event.server).toMatch(/^[a-z]+-mcp\.internal$/);
          toolCalls++;
        }
      }
      lines++;
    }
    expect(lines).toBe(labels.rows.length);
    expect(toolCalls).toBe(summary.toolCalls);
  }, 120_000);
});
