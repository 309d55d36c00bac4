import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/service-config.js';
import { startChainwatchService } from '../../src/service/chainwatch-service.js';
import type { ChainwatchService } from '../../src/service/chainwatch-service.js';
import { BUNDLED_MODEL } from '../../src/service/detection-setup.js';
import { sessionSpans } from '../helpers/otel-session.js';
import { waitFor } from '../helpers/wait-for.js';

const TOKEN = 'model-reload-token-0123456789';

async function exportOverHttp(port: number, spans: ReadableSpan[]): Promise<void> {
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
  const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans, resolve));
  await exporter.shutdown();
  expect(result.error).toBeUndefined();
}

describe('a model reloaded while the service runs', () => {
  let dir: string;
  let service: ChainwatchService;

  const call = async (method: 'GET' | 'POST', route: string, body?: unknown, token = TOKEN) => {
    const response = await fetch(`http://127.0.0.1:${service.apiPort}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const rewrite = async (file: string, change: (json: any) => void) => {
    const json = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
    change(json);
    await writeFile(path.join(dir, file), JSON.stringify(json));
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chainwatch-model-reload-'));
    await cp(BUNDLED_MODEL, dir, { recursive: true });
    const config = resolveConfig({
      otlpHost: '127.0.0.1',
      otlpPort: 0,
      apiHost: '127.0.0.1',
      apiPort: 0,
      apiTokens: [TOKEN],
      modelDir: dir,
    });
    service = await startChainwatchService(config, pino({ level: 'silent' }));
  });

  afterAll(async () => {
    await service?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('says which model scores, takes a retrained one without a restart and re-scores the sessions it holds', async () => {
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    const before = await call('GET', '/v1/model');
    expect(before.status).toBe(200);
    expect(before.body.model).toMatchObject({ dir, createdAt: manifest.createdAt, dataDigest: manifest.dataDigest, targetFpr: 0.01 });
    expect(before.body.lastReload).toBeUndefined();

    await exportOverHttp(
      service.otlpPort,
      sessionSpans({
        sessionId: 'held-over',
        prompt: 'summarize the open tickets',
        calls: [
          { tool: 'search_docs', args: { q: 'open tickets' }, result: 'three open tickets' },
          { tool: 'query_customer_pii', args: { customer: 'ACME' }, result: 'alice@acme.test, +1 555 0100' },
          { tool: 'post_to_slack', args: { channel: '#external', text: 'alice@acme.test' } },
        ],
      }),
    );
    await waitFor('the session', async () => (await call('GET', '/v1/sessions/held-over')).status === 200);
    const scored = (await call('GET', '/v1/sessions/held-over')).body;
    expect(['high', 'critical']).toContain(scored.level);
    expect(scored.score).toBeLessThan(1);

    // The same folder again: nothing changes.
    expect((await call('POST', '/v1/model/reload')).body).toMatchObject({ ok: true, changed: false, trigger: 'api' });

    // Retrained: a threshold above this session's risk; the manifest is written last, as `chainwatch train`
    // does, and the service watches it.
    const alertThreshold = (1 + scored.score) / 2;
    await rewrite('thresholds.json', (thresholds) => (thresholds.alert.threshold = alertThreshold));
    await rewrite('manifest.json', (json) => (json.createdAt = '2026-12-07T12:00:00.000Z'));
    await waitFor('the watched manifest reloaded', async () => (await call('GET', '/v1/model')).body.model.createdAt === '2026-12-07T12:00:00.000Z');
    const model = (await call('GET', '/v1/model')).body;
    expect(model.model.alertThreshold).toBe(alertThreshold);
    expect(model.lastReload).toMatchObject({ ok: true, changed: true, trigger: 'watch' });

    // The pre-flight check decides by the new levels at once ...
    const check = await call('POST', '/v1/check', { session: 'held-over', tool: 'search_docs', arguments: { q: 'tickets' } });
    // Calibration counts sessions above the threshold: a risk equal to it is not denied.
    expect(check.body.thresholds.denyAt).toBeGreaterThan(alertThreshold);
    expect(check.body.thresholds.denyAt).toBeLessThan(alertThreshold + 1e-12);
    // ... and the held session is re-scored on the service's tick: the same risk, no longer above the alert level.
    await waitFor('the held session re-scored', async () => !['high', 'critical'].includes((await call('GET', '/v1/sessions/held-over')).body.level), 8_000);
    const rescored = (await call('GET', '/v1/sessions/held-over')).body;
    expect(rescored.score).toBeCloseTo(scored.score, 12);
    // Halfway to 1 from the risk, the new `high`; `medium` (the escalation's release level) is still below it.
    expect(rescored.level).toBe('medium');

    const metrics = await (await fetch(`http://127.0.0.1:${service.apiPort}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(metrics).toContain('chainwatch_model_reloads_total{outcome="loaded"} 1');
    expect(metrics).toMatch(/chainwatch_model_reloads_total\{outcome="unchanged"\} [1-9]/);
    expect(metrics).toMatch(/chainwatch_sessions_rescored_after_reload_total [1-9]/);
    expect(metrics).toContain('chainwatch_sessions_awaiting_rescore 0');
  }, 20_000);

  it('refuses a folder that does not load, naming the file, and keeps the running model', async () => {
    const running = (await call('GET', '/v1/model')).body.model;
    await writeFile(path.join(dir, 'markov.json'), '{"order":');
    await rewrite('manifest.json', (json) => (json.createdAt = '2026-12-07T13:00:00.000Z'));
    const refused = await call('POST', '/v1/model/reload');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ ok: false, changed: false, model: running });
    expect(refused.body.error).toContain(`${path.join(dir, 'markov.json')}: not valid JSON`);
    const now = await call('GET', '/v1/model');
    expect(now.body.model).toEqual(running);
    expect(now.body.lastReload).toMatchObject({ ok: false });
  });

  it('needs the API token', async () => {
    expect((await call('POST', '/v1/model/reload', undefined, 'wrong-token-0123456789')).status).toBe(401);
    expect((await call('GET', '/v1/model', undefined, 'wrong-token-0123456789')).status).toBe(401);
  });
});
