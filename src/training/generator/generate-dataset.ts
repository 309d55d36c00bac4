import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { renderLabelsCsv } from './labels-csv.js';
import { createRng, deriveSeed } from './prng.js';
import { DEFAULT_START_MS } from './schedule.js';
import { SESSION_LABELS, simulateSession } from './simulate-session.js';
import type { LabelRow, SessionLabel, SimulatedSession } from './simulate-session.js';
import { renderToolCatalogYaml } from './tool-catalog.js';
import { buildUsers } from './users.js';
import { WORKFLOWS } from './workflows/index.js';
import { buildWorld } from './world.js';

/** Writes a seeded synthetic enterprise MCP dataset in the AgentDojo dataset's file formats. */

export interface GenerateDatasetOptions {
  readonly seed: number;
  readonly sessions: number;
  /** Share of attacked sessions (attack_success plus attack_failed). Default 0.25. */
  readonly attackRate?: number;
  readonly outDir: string;
  /** People using the agents. Default: one per 40 sessions, between 12 and 600. */
  readonly users?: number;
  /** Days covered, from `startDate`. Default 7. */
  readonly days?: number;
  /** First day, `YYYY-MM-DD` (UTC). Default 2026-11-02, a Monday. */
  readonly startDate?: string;
}

/** The dataset committed at datasets/enterprise-mcp/ is this, so a rerun reproduces it byte for byte. */
export const ENTERPRISE_MCP_DEFAULTS = { seed: 20261102, sessions: 12_000, attackRate: 0.25 } as const;

/** Share of attacked sessions in which the attacker gets what it wants. */
const SUCCESS_SHARE = 0.6;
const TRAIN_SHARE = 0.5;

export const DATASET_FILES = {
  traces: 'traces.otlp.jsonl.gz',
  labels: 'labels.csv',
  catalog: 'tool-catalog.yaml',
} as const;

export interface DatasetSummary {
  readonly sessions: number;
  readonly users: number;
  readonly toolCalls: number;
  readonly nestedCalls: number;
  readonly failedCalls: number;
  readonly toolListSpans: number;
  readonly labels: Readonly<Record<SessionLabel, { readonly train: number; readonly test: number }>>;
  readonly files: Readonly<Record<keyof typeof DATASET_FILES, { readonly path: string; readonly bytes: number }>>;
}


function validate(
  options: GenerateDatasetOptions,
): Required<Omit<GenerateDatasetOptions, 'users'>> & { users: number } {
  const { seed, sessions, outDir } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`generateDataset: seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(sessions) || sessions < 1)
    throw new RangeError(`generateDataset: sessions must be a positive integer, got ${sessions}`);
  const attackRate = options.attackRate ?? ENTERPRISE_MCP_DEFAULTS.attackRate;
  if (!(attackRate >= 0 && attackRate <= 1))
    throw new RangeError(`generateDataset: attackRate must be within [0, 1], got ${attackRate}`);
  if (outDir === '') throw new RangeError('generateDataset: outDir must not be empty');
  const users = options.users ?? Math.min(600, Math.max(12, Math.round(sessions / 40)));
  if (!Number.isSafeInteger(users) || users < 6)
    throw new RangeError(`generateDataset: users must be an integer of at least 6, got ${users}`);
  const days = options.days ?? 7;
  if (!Number.isSafeInteger(days) || days < 1)
    throw new RangeError(`generateDataset: days must be a positive integer, got ${days}`);
  const startDate = options.startDate ?? new Date(DEFAULT_START_MS).toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(startDate) || Number.isNaN(Date.parse(`${startDate}T00:00:00Z`))) {
    throw new RangeError(`generateDataset: startDate must be YYYY-MM-DD, got ${startDate}`);
  }
  return { seed, sessions, attackRate, outDir, users, days, startDate };
}

/** Which label each session index gets: exact counts, in a seeded random order. */
function labelPlan(seed: number, sessions: number, attackRate: number): SessionLabel[] {
  const attacked = Math.round(sessions * attackRate);
  const succeeded = Math.round(attacked * SUCCESS_SHARE);
  const labels: SessionLabel[] = [
    ...Array<SessionLabel>(sessions - attacked).fill('benign'),
    ...Array<SessionLabel>(succeeded).fill('attack_success'),
    ...Array<SessionLabel>(attacked - succeeded).fill('attack_failed'),
  ];
  return createRng(deriveSeed(seed, 'labels')).shuffle(labels);
}

/**
 * Streams lines through gzip into a file (a large dataset is more text than one string may hold);
 * returns the compressed size. Without flushes the output is the same as compressing it in one piece.
 */
async function writeGzipLines(path: string, lines: readonly string[]): Promise<number> {
  const zip = createGzip({ level: 9 });
  let bytes = 0;
  zip.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  const done = pipeline(zip, createWriteStream(path));
  for (const line of lines) {
    if (!zip.write(`${line}\n`)) await once(zip, 'drain');
  }
  zip.end();
  await done;
  return bytes;
}

export async function generateDataset(options: GenerateDatasetOptions): Promise<DatasetSummary> {
  const opts = validate(options);
  const world = buildWorld(
    createRng(deriveSeed(opts.seed, 'world')),
    opts.users,
    Math.max(40, Math.round(opts.users * 0.6)),
  );
  const users = buildUsers(createRng(deriveSeed(opts.seed, 'users')), world, WORKFLOWS);
  const settings = {
    seed: opts.seed,
    startMs: Date.parse(`${opts.startDate}T00:00:00Z`),
    days: opts.days,
    trainShare: TRAIN_SHARE,
  };

  const sessions: SimulatedSession[] = labelPlan(opts.seed, opts.sessions, opts.attackRate).map((label, index) =>
    simulateSession({ world, users }, settings, label, index),
  );
  const seenTraces = new Set<string>();
  const seenSessions = new Set<string>();
  for (const s of sessions) {
    if (seenTraces.has(s.traceId) || seenSessions.has(s.row.session)) {
      throw new Error(
        `generateDataset: duplicate trace or session id ${s.traceId} / ${s.row.session} (seed ${opts.seed})`,
      );
    }
    seenTraces.add(s.traceId);
    seenSessions.add(s.row.session);
  }
  // Lines in trace-id order, as in the AgentDojo file.
  const lines = sessions.map((s) => s.line);
  const order = sessions.map((s, i) => [s.traceId, i] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const labelsCsv = renderLabelsCsv(sessions.map((s): LabelRow => s.row));
  const catalog = renderToolCatalogYaml();

  await mkdir(opts.outDir, { recursive: true });
  const paths = {
    traces: join(opts.outDir, DATASET_FILES.traces),
    labels: join(opts.outDir, DATASET_FILES.labels),
    catalog: join(opts.outDir, DATASET_FILES.catalog),
  };
  const tracesBytes = await writeGzipLines(paths.traces, order.map(([, i]) => lines[i]!));
  await writeFile(paths.labels, labelsCsv, 'utf8');
  await writeFile(paths.catalog, catalog, 'utf8');

  const counts = Object.fromEntries(SESSION_LABELS.map((l) => [l, { train: 0, test: 0 }])) as Record<
    SessionLabel,
    { train: number; test: number }
  >;
  for (const s of sessions) counts[s.row.label][s.row.split]++;
  const sum = (pick: (s: SimulatedSession) => number): number => sessions.reduce((n, s) => n + pick(s), 0);
  return {
    sessions: sessions.length,
    users: users.length,
    toolCalls: sum((s) => s.toolCalls),
    nestedCalls: sum((s) => s.nestedCalls),
    failedCalls: sum((s) => s.failedCalls),
    toolListSpans: sum((s) => s.toolListSpans),
    labels: counts,
    files: {
      traces: { path: paths.traces, bytes: tracesBytes },
      labels: { path: paths.labels, bytes: Buffer.byteLength(labelsCsv) },
      catalog: { path: paths.catalog, bytes: Buffer.byteLength(catalog) },
    },
  };
}
