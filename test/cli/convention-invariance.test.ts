import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreTraceFiles } from '../../src/cli/score-command.js';
import type { ScoredSession } from '../../src/cli/score-command.js';
import { trainFromTraceFiles } from '../../src/cli/train-command.js';
import { resolveConfig } from '../../src/config/service-config.js';
import { rewriteOtlpJsonLine } from '../helpers/otlp-json-conventions.js';
import type { RewrittenConvention } from '../helpers/otlp-json-conventions.js';

/*
 * The same agent runs, written by three instrumentations, must train the same model and get the same
 * scores: sessions of both datasets (semconv) rewritten as OpenInference and Traceloop would emit them.
 * Traceloop spans carry no session id, so sessions are matched by trace id; neither convention names the
 * server, so the enterprise catalog's `server` entries stand in (its horizontal-movement rule counts them).
 */

const DATASETS = {
  agentdojo: fileURLToPath(new URL('../../../shared/datasets/agentdojo-dev/', import.meta.url)),
  'enterprise-mcp': fileURLToPath(new URL('../../datasets/enterprise-mcp/', import.meta.url)),
};
const TRAIN_SESSIONS = 250;
const SCORED_SESSIONS = 250;
const CONVENTIONS = ['semconv', 'openinference', 'traceloop'] as const;
type Convention = (typeof CONVENTIONS)[number];

interface Comparable {
  readonly score: number;
  readonly level: string;
  readonly calls: string;
  readonly findings: string[];
}

/** Traceloop's session key is the trace id, so messages that name the session or trace are compared without the id. */
const comparable = (s: ScoredSession): Comparable => {
  const withoutIds = (message: string) => [s.session, ...s.traceIds].reduce((text, id) => text.replaceAll(id, '<id>'), message);
  return {
    score: s.score,
    level: s.level,
    calls: s.calls.map((c) => c.tool).join(' '),
    findings: s.findings.map((f) => `${f.detector}/${f.id}@${f.callIndex}=${f.score} ${withoutIds(f.message)}`).sort(),
  };
};

/** trace id → split, from labels.csv's `trace` and `split` columns. */
async function splitsByTrace(dataset: string): Promise<Map<string, string>> {
  const [header, ...rows] = (await readFile(path.join(dataset, 'labels.csv'), 'utf8')).trim().split('\n');
  const columns = (header as string).split(',');
  const trace = columns.indexOf('trace');
  const split = columns.indexOf('split');
  return new Map(rows.map((row) => row.split(',')).map((cells) => [cells[trace] as string, cells[split] as string]));
}

/** The first sessions of each split, in file order. */
async function pickSessions(dataset: string): Promise<{ train: string[]; scored: string[] }> {
  const splits = await splitsByTrace(dataset);
  const train: string[] = [];
  const scored: string[] = [];
  const input = createReadStream(path.join(dataset, 'traces.otlp.jsonl.gz')).pipe(createGunzip());
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    const traceId = /"traceId":"([0-9a-f]{32})"/.exec(line)?.[1] ?? '';
    const bucket = splits.get(traceId) === 'train' ? train : scored;
    if (bucket.length < (bucket === train ? TRAIN_SESSIONS : SCORED_SESSIONS)) bucket.push(line);
    if (train.length === TRAIN_SESSIONS && scored.length === SCORED_SESSIONS) break;
  }
  input.destroy();
  return { train, scored };
}

const inConvention = (lines: readonly string[], convention: Convention): string =>
  `${lines.map((line) => (convention === 'semconv' ? line : rewriteOtlpJsonLine(line, convention as RewrittenConvention))).join('\n')}\n`;

/** Every file of a model folder but the manifest (its creation time and data digest differ by design). */
async function modelFiles(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'manifest.json') continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, file), await readFile(file));
  }
  return files;
}

describe.each(Object.entries(DATASETS))('%s: the same runs in three instrumentation conventions', (_name, dataset) => {
  let dir: string;
  const models = new Map<Convention, string>();
  const scores = new Map<Convention, Map<string, Comparable>>();
  const catalog = path.join(dataset, 'tool-catalog.yaml');
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chainwatch-conventions-'));
    const { train, scored } = await pickSessions(dataset);
    for (const convention of CONVENTIONS) {
      const trainFile = path.join(dir, `${convention}-train.otlp.jsonl`);
      const scoreFile = path.join(dir, `${convention}-score.otlp.jsonl`);
      await writeFile(trainFile, inConvention(train, convention));
      await writeFile(scoreFile, inConvention(scored, convention));
      const modelDir = path.join(dir, `${convention}-model`);
      await trainFromTraceFiles({
        traces: [trainFile],
        out: modelDir,
        catalog,
        targetFpr: 0.01,
        config: resolveConfig({ sessionIdleTtlMs: 0 }),
        logger,
        showProgress: false,
        training: { embedder: { epochs: 20, hiddenUnits: 32, embeddingUnits: 8 }, clusters: { maxK: 12 }, folds: 3 },
      });
      models.set(convention, modelDir);
      const scoresFile = path.join(dir, `${convention}-scores.jsonl`);
      await scoreTraceFiles({
        traces: [scoreFile],
        out: scoresFile,
        config: resolveConfig({ sessionIdleTtlMs: 0, modelDir, catalogFile: catalog }),
        logger,
        showProgress: false,
      });
      const lines = (await readFile(scoresFile, 'utf8')).trim().split('\n');
      const byTrace = new Map<string, Comparable>();
      for (const text of lines) {
        const session = JSON.parse(text) as ScoredSession;
        byTrace.set(session.traceIds.join(','), comparable(session));
      }
      scores.set(convention, byTrace);
    }
  }, 180_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains byte-identical models', async () => {
    const reference = await modelFiles(models.get('semconv') as string);
    expect(reference.size).toBeGreaterThan(3);
    for (const convention of CONVENTIONS) {
      const files = await modelFiles(models.get(convention) as string);
      expect([...files.keys()].sort()).toEqual([...reference.keys()].sort());
      for (const [name, bytes] of reference) expect({ convention, name, same: bytes.equals(files.get(name) as Buffer) }).toEqual({ convention, name, same: true });
    }
  });

  it('scores every session the same, with the same findings', () => {
    const reference = scores.get('semconv') as Map<string, Comparable>;
    expect(reference.size).toBe(SCORED_SESSIONS);
    // Sessions must differ, or equal scores would prove little.
    expect(new Set([...reference.values()].map((s) => s.score)).size).toBeGreaterThan(20);
    expect([...reference.values()].filter((s) => s.findings.length > 0).length).toBeGreaterThan(100);
    for (const convention of CONVENTIONS) {
      const other = scores.get(convention) as Map<string, Comparable>;
      expect(other.size).toBe(SCORED_SESSIONS);
      for (const [trace, scored] of reference) expect({ convention, trace, ...other.get(trace) }).toEqual({ convention, trace, ...scored });
    }
  });
});
