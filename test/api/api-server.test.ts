import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiServer } from '../../src/api/api-server.js';
import type { ApiServerOptions } from '../../src/api/api-server.js';
import { ApiConfigError } from '../../src/api/errors.js';
import { RecentAlerts } from '../../src/outputs/recent-alerts.js';
import type { RiskStore } from '../../src/outputs/risk-store.js';
import type { ScoreUpdate } from '../../src/scoring/risk.js';
import { alert, scoreUpdate, sessionSnapshot } from '../helpers/api-fixtures.js';
import { capturingLogger, listenLocally } from '../helpers/http-test-server.js';
import { MemorySessionDirectory } from '../helpers/memory-session-directory.js';

const TOKEN = 'api-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

const highRisk = sessionSnapshot({ session: 'high', score: 0.9, lastSeen: '2025-03-01T10:00:00.000Z' });
const mediumRisk = sessionSnapshot({ session: 'medium', score: 0.5, level: 'medium', lastSeen: '2025-03-01T12:00:00.000Z' });
const lowRisk = sessionSnapshot({ session: 'low', score: 0.1, level: 'low', lastSeen: '2025-03-01T14:00:00.000Z' });

/** A RiskStore over a map, standing in for the NATS KV one another instance writes to. */
class MapRiskStore implements RiskStore {
  readonly updates = new Map<string, ScoreUpdate>();
  failing = false;

  put(update: ScoreUpdate): void {
    this.updates.set(update.session, update);
  }

  async get(session: string): Promise<ScoreUpdate | undefined> {
    if (this.failing) throw new Error('kv bucket unreachable');
    return this.updates.get(session);
  }

  async close(): Promise<void> {}
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function options(overrides: Partial<ApiServerOptions> = {}): ApiServerOptions {
  const alerts = new RecentAlerts(16);
  alerts.publishAlert(alert({ id: 'a-old', createdAt: '2025-03-01T09:00:00.000Z' }));
  alerts.publishAlert(alert({ id: 'a-mid', createdAt: '2025-03-01T11:00:00.000Z', severity: 'critical' }));
  alerts.publishAlert(alert({ id: 'a-new', createdAt: '2025-03-01T13:00:00.000Z' }));
  return {
    sessions: new MemorySessionDirectory([highRisk, mediumRisk, lowRisk]),
    alerts,
    metrics: new Registry(),
    tokens: [TOKEN],
    ready: () => true,
    logger: pino({ level: 'silent' }),
    ...overrides,
  };
}

async function start(overrides: Partial<ApiServerOptions> = {}): Promise<string> {
  const app = createApiServer(options(overrides));
  apps.push(app);
  return listenLocally(app);
}

async function getJson(url: string, headers: Record<string, string> = auth): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.json() };
}

describe('API: authentication', () => {
  it('answers 401 with a JSON error and a challenge without a valid token, 200 with one', async () => {
    const base = await start();

    const missing = await fetch(`${base}/v1/sessions`);
    const wrong = await fetch(`${base}/v1/sessions`, { headers: { authorization: 'Bearer api-token-0123456789abcdeX' } });
    const basic = await fetch(`${base}/v1/sessions`, { headers: { authorization: `Basic ${TOKEN}` } });
    const right = await fetch(`${base}/v1/sessions`, { headers: auth });

    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect(await missing.json()).toEqual({ error: { code: 'unauthorized', message: 'missing or invalid bearer token' } });
    expect(wrong.status).toBe(401);
    expect(basic.status).toBe(401);
    expect(right.status).toBe(200);
  });

  it('accepts any of several tokens', async () => {
    const other = 'second-token-abcdefghijklmnop';
    const base = await start({ tokens: [TOKEN, other] });

    expect((await fetch(`${base}/v1/alerts`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
    expect((await fetch(`${base}/v1/alerts`, { headers: auth })).status).toBe(200);
  });

  it('leaves /healthz and /readyz open but guards /metrics, /docs and /openapi.json by default', async () => {
    const base = await start();

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/openapi.json`)).status).toBe(401);
    expect((await fetch(`${base}/docs`, { redirect: 'manual' })).status).toBe(401);
    expect((await fetch(`${base}/docs/json`)).status).toBe(401);
  });

  it('opens /metrics and the docs only when configured to', async () => {
    const base = await start({ openMetrics: true, openDocs: true });

    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
    const ui = await fetch(`${base}/docs/`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    expect((await fetch(`${base}/v1/sessions`)).status).toBe(401);
  });

  it('refuses to start without tokens unless allowNoAuth is set', async () => {
    expect(() => createApiServer(options({ tokens: [] }))).toThrow(ApiConfigError);
    expect(() => createApiServer(options({ tokens: [] }))).toThrow(/CHAINWATCH_API_TOKENS/);

    const base = await start({ tokens: [], allowNoAuth: true });
    expect((await fetch(`${base}/v1/sessions`)).status).toBe(200);
  });

  it('refuses a token too short to be safe, naming its position', () => {
    expect(() => createApiServer(options({ tokens: [TOKEN, 'short'] }))).toThrow(/api tokens\[1\] is too short/);
  });

  it('answers 401 (not 404) for unknown routes without a token, and a JSON 404 with one', async () => {
    const base = await start();

    const anonymous = await fetch(`${base}/v2/nothing`);
    const authenticated = await getJson(`${base}/v2/nothing?x=1`);

    expect(anonymous.status).toBe(401);
    expect(authenticated).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no route GET /v2/nothing' } } });
  });
});

describe('API: sessions', () => {
  it('serves a live session in full, marked local', async () => {
    const base = await start();

    const { status, body } = await getJson(`${base}/v1/sessions/high`);

    expect(status).toBe(200);
    expect(body).toEqual({ source: 'local', ...highRisk });
  });

  it('falls back to the shared risk store for a session another instance scored, marked kv', async () => {
    const riskStore = new MapRiskStore();
    const remote = scoreUpdate({ session: 'remote-1' });
    riskStore.put(remote);
    riskStore.put(scoreUpdate({ session: 'high', score: 0.01 }));
    const base = await start({ riskStore });

    const fromKv = await getJson(`${base}/v1/sessions/remote-1`);
    const local = await getJson(`${base}/v1/sessions/high`);

    expect(fromKv).toEqual({ status: 200, body: { source: 'kv', ...remote } });
    expect(local.body).toMatchObject({ source: 'local', score: highRisk.score });
  });

  it('answers a JSON 404 for an unknown session, with and without a risk store', async () => {
    const withStore = await start({ riskStore: new MapRiskStore() });
    const withoutStore = await start();

    for (const base of [withStore, withoutStore]) {
      expect(await getJson(`${base}/v1/sessions/nobody`)).toEqual({
        status: 404,
        body: { error: { code: 'not_found', message: "no session 'nobody'" } },
      });
    }
  });

  it('answers a JSON 414 to an id longer than any session id', async () => {
    const base = await start();

    const { status, body } = await getJson(`${base}/v1/sessions/${'x'.repeat(600)}`);

    expect(status).toBe(414);
    expect(body.error.code).toBe('uri_too_long');
  });

  it('answers 503 when the risk store cannot be read, and keeps serving', async () => {
    const riskStore = new MapRiskStore();
    riskStore.failing = true;
    const base = await start({ riskStore });

    const failed = await getJson(`${base}/v1/sessions/remote-1`);
    riskStore.failing = false;
    riskStore.put(scoreUpdate({ session: 'remote-1' }));
    const next = await getJson(`${base}/v1/sessions/remote-1`);

    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe('unavailable');
    expect(next.status).toBe(200);
  });

  it('lists sessions highest score first, filtered by minScore, since and limit', async () => {
    const base = await start();
    const list = async (query: string): Promise<string[]> => {
      const { status, body } = await getJson(`${base}/v1/sessions${query}`);
      expect(status).toBe(200);
      return (body.sessions as Array<{ session: string }>).map((s) => s.session);
    };

    expect(await list('')).toEqual(['high', 'medium', 'low']);
    expect(await list('?minScore=0.5')).toEqual(['high', 'medium']);
    expect(await list('?since=2025-03-01T11:00:00Z')).toEqual(['medium', 'low']);
    expect(await list(`?since=${Date.parse('2025-03-01T13:00:00Z')}`)).toEqual(['low']);
    expect(await list('?limit=1')).toEqual(['high']);
  });

  it('lists summaries with exactly the summary fields', async () => {
    const base = await start();

    const { body } = await getJson(`${base}/v1/sessions?limit=1`);

    const { traceIds, prompt, findings, timeline, escalation, ...summary } = highRisk;
    expect(body.sessions).toEqual([summary]);
  });

  it.each([
    ['minScore=2', 'minScore', 'must be <= 1'],
    ['minScore=-0.1', 'minScore', 'must be >= 0'],
    ['minScore=high', 'minScore', 'must be number'],
    ['limit=0', 'limit', 'must be >= 1'],
    ['limit=1001', 'limit', 'must be <= 1000'],
    ['limit=2.5', 'limit', 'must be integer'],
    ['since=yesterday', 'since', 'ISO-8601'],
    ['since=2025-13-01T00:00:00Z', 'since', 'ISO-8601'],
  ])('answers 400 naming the field for %s', async (query, field, expected) => {
    const base = await start();

    const { status, body } = await getJson(`${base}/v1/sessions?${query}`);

    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain(`querystring parameter '${field}'`);
    expect(body.error.message).toContain(expected);
  });

  it('answers 400 for a date-time the schema allows but no clock has (a leap second), on both lists', async () => {
    const base = await start();
    for (const path of ['/v1/sessions', '/v1/alerts']) {
      const { status, body } = await getJson(`${base}${path}?since=2016-12-31T23:59:60Z`);
      expect(status, path).toBe(400);
      expect(body.error.message).toContain("since: '2016-12-31T23:59:60Z'");
    }
  });
});

describe('API: failures', () => {
  it('answers a JSON 500 to an unexpected failure, logs it without leaking it, and keeps serving', async () => {
    const { logger, records } = capturingLogger();
    const sessions = new MemorySessionDirectory([highRisk]);
    const base = await start({
      logger,
      sessions: {
        get: (id) => {
          if (id === 'boom') throw new Error('snapshot builder crashed');
          return sessions.get(id);
        },
        list: (query) => sessions.list(query),
      },
    });

    const failed = await getJson(`${base}/v1/sessions/boom`);
    const next = await getJson(`${base}/v1/sessions/high`);

    expect(failed).toEqual({ status: 500, body: { error: { code: 'internal_error', message: 'internal error' } } });
    const logged = records.find((record) => record.level === 50);
    expect((logged?.err as { message?: string } | undefined)?.message).toBe('snapshot builder crashed');
    expect(next.status).toBe(200);
  });
});

describe('API: alerts', () => {
  it('lists alerts newest first, filtered by since and limit', async () => {
    const base = await start();
    const ids = async (query: string): Promise<string[]> =>
      ((await getJson(`${base}/v1/alerts${query}`)).body.alerts as Array<{ id: string }>).map((a) => a.id);

    expect(await ids('')).toEqual(['a-new', 'a-mid', 'a-old']);
    expect(await ids('?since=2025-03-01T10:00:00Z')).toEqual(['a-new', 'a-mid']);
    expect(await ids('?limit=1')).toEqual(['a-new']);
  });

  it('serves every field of an alert', async () => {
    const base = await start();

    const { body } = await getJson(`${base}/v1/alerts?limit=3`);

    expect(body.alerts[1]).toEqual(alert({ id: 'a-mid', createdAt: '2025-03-01T11:00:00.000Z', severity: 'critical' }));
  });

  it('answers 400 for a bad limit', async () => {
    const base = await start();

    const { status, body } = await getJson(`${base}/v1/alerts?limit=5000`);

    expect(status).toBe(400);
    expect(body.error.message).toContain("'limit'");
  });
});

describe('API: probes and metrics', () => {
  it('reports readiness as ready() says, and liveness always', async () => {
    let ready = false;
    const base = await start({ ready: () => ready });

    const before = await getJson(`${base}/readyz`, {});
    const alive = await getJson(`${base}/healthz`, {});
    ready = true;
    const after = await getJson(`${base}/readyz`, {});

    expect(before).toEqual({ status: 503, body: { status: 'not_ready' } });
    expect(alive).toEqual({ status: 200, body: { status: 'ok' } });
    expect(after).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('treats a throwing readiness check as not ready', async () => {
    const base = await start({
      ready: () => {
        throw new Error('model registry gone');
      },
    });

    expect((await fetch(`${base}/readyz`)).status).toBe(503);
  });

  it('serves the registry in Prometheus text format', async () => {
    const metrics = new Registry();
    new Counter({ name: 'chainwatch_spans_total', help: 'Spans received', registers: [metrics] }).inc(7);
    const base = await start({ metrics });

    const response = await fetch(`${base}/metrics`, { headers: auth });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.contentType);
    const text = await response.text();
    expect(text).toContain('# TYPE chainwatch_spans_total counter');
    expect(text).toContain('chainwatch_spans_total 7');
  });
});

describe('API: OpenAPI', () => {
  it('lists every route with its response schemas and the bearer scheme', async () => {
    const base = await start();

    const { status, body } = await getJson(`${base}/openapi.json`);

    expect(status).toBe(200);
    expect(Object.keys(body.paths).sort()).toEqual(
      ['/healthz', '/metrics', '/readyz', '/v1/alerts', '/v1/sessions', '/v1/sessions/{id}'].sort(),
    );
    for (const [path, operations] of Object.entries<Record<string, { responses: Record<string, unknown> }>>(body.paths)) {
      expect(operations.get?.responses['200'], path).toBeDefined();
    }
    expect(body.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    expect(body.paths['/healthz'].get.security).toEqual([]);
    expect(body.paths['/v1/sessions/{id}'].get.security).toBeUndefined();
    expect(Object.keys(body.components.schemas)).toEqual(
      expect.arrayContaining(['LocalSession', 'StoredScore', 'SessionSummary', 'Alert', 'Finding', 'ApiError']),
    );
    const minScore = body.paths['/v1/sessions'].get.parameters.find((p: { name: string }) => p.name === 'minScore');
    expect(minScore.schema).toMatchObject({ minimum: 0, maximum: 1 });
  });

  it('adds extra routes behind the same auth, error format and OpenAPI listing', async () => {
    const base = await start({
      extraRoutes: (app) => {
        app.get(
          '/v1/echo/:word',
          { schema: { params: { type: 'object', properties: { word: { type: 'string', maxLength: 5 } } }, response: { 200: { type: 'object', properties: { word: { type: 'string' } } } } } },
          async (request) => ({ word: (request.params as { word: string }).word }),
        );
      },
    });

    expect((await fetch(`${base}/v1/echo/hi`)).status).toBe(401);
    expect(await getJson(`${base}/v1/echo/hi`)).toEqual({ status: 200, body: { word: 'hi' } });
    expect((await getJson(`${base}/v1/echo/toolong`)).body.error.message).toContain("params parameter 'word'");
    expect(Object.keys((await getJson(`${base}/openapi.json`)).body.paths)).toContain('/v1/echo/{word}');
  });
});
