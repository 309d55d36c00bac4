import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
import { startChainwatchService } from '../../src/service/chainwatch-service.js';
import type { ChainwatchService } from '../../src/service/chainwatch-service.js';
import { startNatsServer } from '../helpers/nats-server.js';
import type { TestNatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/wait-for.js';

const DATASET = fileURLToPath(new URL('../../datasets/enterprise-mcp/', import.meta.url));
const TOKEN = 'parity-token-0123456789abcdef';
/** Lines of the committed dataset: the first ones train a small model, the next ones are scored both ways. */
const TRAIN_LINES = 400;
const SCORED_LINES = 150;

async function firstLines(file: string, count: number): Promise<string[]> {
  const lines: string[] = [];
  const input = createReadStream(file).pipe(createGunzip());
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    if (text.trim() === '') continue;
    lines.push(text);
    if (lines.length === count) break;
  }
  input.destroy();
  return lines;
}

interface Comparable {
  readonly score: number;
  readonly level: string;
  readonly findings: string[];
}

const comparable = (s: { score: number; level: string; findings: ReadonlyArray<{ detector: string; id: string; score: number; callIndex: number }> }): Comparable => ({
  score: s.score,
  level: s.level,
  findings: s.findings.map((f) => `${f.detector}/${f.id}@${f.callIndex}=${f.score}`).sort(),
});

describe('serve and score agree', () => {
  let dir: string;
  let nats: TestNatsServer;
  let service: ChainwatchService;
  let offline: Map<string, ScoredSession>;
  let lines: string[];
  const catalogFile = path.join(DATASET, 'tool-catalog.yaml');
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chainwatch-parity-'));
    const all = await firstLines(path.join(DATASET, 'traces.otlp.jsonl.gz'), TRAIN_LINES + SCORED_LINES);
    const trainFile = path.join(dir, 'train.otlp.jsonl');
    const scoreFile = path.join(dir, 'score.otlp.jsonl');
    lines = all.slice(TRAIN_LINES);
    await writeFile(trainFile, `${all.slice(0, TRAIN_LINES).join('\n')}\n`);
    await writeFile(scoreFile, `${lines.join('\n')}\n`);
    const modelDir = path.join(dir, 'model');
    await trainFromTraceFiles({
      traces: [trainFile],
      out: modelDir,
      catalog: catalogFile,
      targetFpr: 0.01,
      labels: path.join(DATASET, 'labels.csv'),
      split: 'train',
      config: resolveConfig({ sessionIdleTtlMs: 0 }),
      logger,
      showProgress: false,
      training: { embedder: { epochs: 20, hiddenUnits: 32, embeddingUnits: 8 }, clusters: { maxK: 12 }, folds: 3 },
    });

    const scoresFile = path.join(dir, 'scores.jsonl');
    await scoreTraceFiles({
      traces: [scoreFile],
      out: scoresFile,
      config: resolveConfig({ sessionIdleTtlMs: 0, modelDir, catalogFile }),
      logger,
      showProgress: false,
    });
    offline = new Map(
      (await readFile(scoresFile, 'utf8'))
        .trim()
        .split('\n')
        .map((text) => JSON.parse(text) as ScoredSession)
        .map((s) => [s.session, s]),
    );

    nats = await startNatsServer();
    service = await startChainwatchService(
      resolveConfig({
        natsUrl: nats.url,
        natsMode: 'core',
        otlpHost: '127.0.0.1',
        otlpPort: 0,
        apiHost: '127.0.0.1',
        apiPort: 0,
        apiTokens: [TOKEN],
        modelDir,
        catalogFile,
      }),
      logger,
    );
  }, 90_000);

  afterAll(async () => {
    await service?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives over OTLP/HTTP and REST the scores and findings `chainwatch score` gives for the same spans', async () => {
    expect(offline.size).toBe(SCORED_LINES);
    // The small model must find something, or equal scores would prove little.
    expect([...offline.values()].filter((s) => s.findings.some((f) => f.detector !== 'rules')).length).toBeGreaterThan(10);
    expect(new Set([...offline.values()].map((s) => s.score)).size).toBeGreaterThan(10);

    for (const body of lines) {
      const response = await fetch(`http://127.0.0.1:${service.otlpPort}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(response.status).toBe(200);
    }
    const served = new Map<string, Comparable>();
    await waitFor(
      'every session over REST',
      async () => {
        for (const id of offline.keys()) {
          if (served.has(id)) continue;
          const response = await fetch(`http://127.0.0.1:${service.apiPort}/v1/sessions/${encodeURIComponent(id)}`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          if (response.status !== 200) return false;
          served.set(id, comparable((await response.json()) as Parameters<typeof comparable>[0]));
        }
        return true;
      },
      20_000,
    );
    for (const [id, scored] of offline) expect({ id, ...served.get(id) }).toEqual({ id, ...comparable(scored) });
  }, 60_000);

  it("exposes the model's alert target beside the completed sessions' levels, to watch its calibration", async () => {
    const response = await fetch(`http://127.0.0.1:${service.apiPort}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await response.text();
    expect(text).toMatch(/^chainwatch_model_alert_target_ratio 0\.01$/m);
    expect(text).toContain('# TYPE chainwatch_sessions_completed_total counter');
  });
});
