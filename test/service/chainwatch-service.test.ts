import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/service-config.js';
import type { NatsMode } from '../../src/config/service-config.js';
import type { EscalationSignal, ScoreUpdate } from '../../src/scoring/risk.js';
import { startChainwatchService } from '../../src/service/chainwatch-service.js';
import type { ChainwatchService } from '../../src/service/chainwatch-service.js';
import { startNatsServer } from '../helpers/nats-server.js';
import type { TestNatsServer } from '../helpers/nats-server.js';
import { sessionSpans } from '../helpers/otel-session.js';
import { categoryChainDetector } from '../helpers/sequence-detector.js';
import { waitFor } from '../helpers/wait-for.js';

const TOKEN = 'test-token-0123456789abcdef';

function exfiltration(sessionId: string): ReadableSpan[] {
  return sessionSpans({
    sessionId,
    prompt: 'summarize the open tickets',
    calls: [
      { tool: 'search_docs', args: { q: 'open tickets' }, result: 'three open tickets' },
      { tool: 'query_customer_pii', args: { customer: 'ACME' }, result: 'alice@acme.test, +1 555 0100' },
      { tool: 'post_to_slack', args: { channel: '#external', text: 'alice@acme.test' } },
    ],
  });
}

function benign(sessionId: string): ReadableSpan[] {
  return sessionSpans({
    sessionId,
    prompt: 'find the runbook for the database failover',
    calls: [{ tool: 'search_docs', args: { q: 'failover runbook' }, result: 'runbook.md' }],
  });
}

function collect<T>(sub: Subscription, into: T[]): void {
  void (async () => {
    for await (const message of sub) into.push(message.json<T>());
  })();
}

async function exportOverHttp(port: number, spans: ReadableSpan[]): Promise<void> {
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
  const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans, resolve));
  await exporter.shutdown();
  expect(result.error).toBeUndefined();
  expect(result.code).toBe(0);
}

async function api(service: ChainwatchService, path: string, token = TOKEN): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${service.apiPort}${path}`, {
    headers: token === '' ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

describe.each<NatsMode>(['core', 'jetstream'])('chainwatch service, NATS %s mode', (natsMode) => {
  let nats: TestNatsServer;
  let service: ChainwatchService;
  let client: NatsConnection;
  const scores: ScoreUpdate[] = [];
  const signals: EscalationSignal[] = [];

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: true });
    const config = resolveConfig({
      natsUrl: nats.url,
      natsMode,
      otlpHost: '127.0.0.1',
      otlpPort: 0,
      apiHost: '127.0.0.1',
      apiPort: 0,
      apiTokens: [TOKEN],
      useModel: false,
      defaultRules: false,
    });
    service = await startChainwatchService(config, pino({ level: 'silent' }), {
      extraDetectors: [categoryChainDetector('pii_access', 'external_communication')],
    });
    client = await connect({ servers: nats.url });
    collect(client.subscribe('chainwatch.scores'), scores);
    collect(client.subscribe('chainwatch.sampling.support-agent'), signals);
    await client.flush();
  });

  afterAll(async () => {
    await client?.close();
    await service?.stop();
    await nats?.stop();
  });

  it('scores a session the OpenTelemetry OTLP/HTTP exporter sends, and signals escalation over NATS', async () => {
    await exportOverHttp(service.otlpPort, exfiltration(`http-${natsMode}`));
    await waitFor('an escalation signal', () => signals.some((s) => s.session === `http-${natsMode}`));
    const signal = signals.find((s) => s.session === `http-${natsMode}`)!;
    expect(signal).toMatchObject({ service: 'support-agent', level: 'full', ttlSeconds: 600 });
    expect(signal.score).toBeGreaterThanOrEqual(0.6);
    expect(signal.traceIds).toHaveLength(1);
    await waitFor('a score update', () => scores.some((s) => s.session === `http-${natsMode}` && s.score > 0.6));

    const { status, body } = await api(service, `/v1/sessions/http-${natsMode}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ source: 'local', session: `http-${natsMode}`, level: 'critical', callCount: 3, trust: 'unverified' });
    expect(body.prompt).toBe('summarize the open tickets');
    expect(body.timeline.map((call: { tool: string }) => call.tool)).toEqual(['search_docs', 'query_customer_pii', 'post_to_slack']);
    expect(body.timeline[1]).toMatchObject({ category: 'pii_access', categoryInferred: true, origin: 'user' });
    expect(body.escalation).toMatchObject({ escalated: true, signalsSent: 1 });
    expect(body.findings[0]).toMatchObject({ detector: 'test-chain', callIndex: 2 });
  });

  it('scores sessions published to NATS as serialized export requests', async () => {
    const js = jetstream(client);
    for (const [id, spans] of [[`nats-bad-${natsMode}`, exfiltration(`nats-bad-${natsMode}`)], [`nats-ok-${natsMode}`, benign(`nats-ok-${natsMode}`)]] as const) {
      const body = ProtobufTraceSerializer.serializeRequest(spans)!;
      if (natsMode === 'jetstream') await js.publish('chainwatch.otlp.traces', body);
      else client.publish('chainwatch.otlp.traces', body);
      await waitFor(`session ${id}`, async () => (await api(service, `/v1/sessions/${id}`)).status === 200);
    }
    await waitFor('an escalation for the NATS session', () => signals.some((s) => s.session === `nats-bad-${natsMode}`));
    expect(signals.some((s) => s.session === `nats-ok-${natsMode}`)).toBe(false);
    const ok = await api(service, `/v1/sessions/nats-ok-${natsMode}`);
    expect(ok.body).toMatchObject({ score: 0, level: 'none', escalated: false });

    const listed = await api(service, '/v1/sessions?minScore=0.5');
    const ids = listed.body.sessions.map((s: { session: string }) => s.session);
    expect(ids).toContain(`nats-bad-${natsMode}`);
    expect(ids).not.toContain(`nats-ok-${natsMode}`);
    const alerts = await api(service, '/v1/alerts?limit=10');
    expect(alerts.body.alerts.some((a: { session: string }) => a.session === `nats-bad-${natsMode}`)).toBe(true);
  });

  it("takes the prompt from the model call, before the agent's span (which ends last) arrives", async () => {
    const id = `early-prompt-${natsMode}`;
    const spans = sessionSpans({ sessionId: id, prompt: 'find the runbook for the failover', modelCall: true, calls: [{ tool: 'search_docs', args: { q: 'failover' } }] });
    const root = spans.filter((span) => span.name.startsWith('invoke_agent'));
    // As a live exporter sends them: the model call and the tool call first, the agent's span later.
    await exportOverHttp(service.otlpPort, spans.filter((span) => !root.includes(span)));
    await waitFor('the session scored before its root span', async () => (await api(service, `/v1/sessions/${id}`)).status === 200);
    const before = (await api(service, `/v1/sessions/${id}`)).body;
    expect(before).toMatchObject({ prompt: 'find the runbook for the failover', userId: '' });
    expect(before.timeline.map((call: { tool: string }) => call.tool)).toEqual(['search_docs']);
    await exportOverHttp(service.otlpPort, root);
    await waitFor('the root span applied (it names the user)', async () => (await api(service, `/v1/sessions/${id}`)).body.userId === 'alice');
  });

  it('answers 4xx for malformed input and keeps serving', async () => {
    const url = `http://127.0.0.1:${service.otlpPort}/v1/traces`;
    const garbage = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff, 0xff, 0x01]) });
    expect(garbage.status).toBe(400);
    const badJson = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans": [' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { message: string }).message).toMatch(/JSON/i);
    const wrongType = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(wrongType.status).toBe(415);
    const huge = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(9 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    client.publish('chainwatch.otlp.traces', new Uint8Array([1, 2, 3, 4]));
    await exportOverHttp(service.otlpPort, benign(`after-errors-${natsMode}`));
    await waitFor('the session sent after the errors', async () => (await api(service, `/v1/sessions/after-errors-${natsMode}`)).status === 200);
    expect((await api(service, '/healthz', '')).status).toBe(200);
  });

  it('requires the bearer token and exposes metrics', async () => {
    expect((await api(service, '/v1/sessions/whatever', '')).status).toBe(401);
    expect((await api(service, '/v1/sessions/unknown-session')).status).toBe(404);
    // Refused before the batch reaches ingestion: counted by status all the same.
    const refused = await fetch(`http://127.0.0.1:${service.otlpPort}/v1/traces`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(refused.status).toBe(415);
    const metrics = await api(service, '/metrics');
    expect(metrics.body).toMatch(/chainwatch_otlp_http_refused_total\{status="415"\} [1-9]/);
    expect(metrics.body).toMatch(/chainwatch_spans_total \d+/);
    expect(metrics.body).toMatch(/chainwatch_live_sessions \d+/);
    expect(metrics.body).toMatch(/chainwatch_session_bytes [1-9]\d*/);
    expect(metrics.body).toContain(`chainwatch_session_bytes_limit ${1024 * 1024 * 1024}`);
    expect(metrics.body).toContain('# TYPE chainwatch_sessions_completed_total counter');
    // Scoring with rules only: no model, so no alert target to compare with.
    expect(metrics.body).not.toContain('chainwatch_model_alert_target_ratio');
    expect(metrics.body).toMatch(/chainwatch_batches_rejected_total [1-9]/);
  });

  if (natsMode === 'jetstream') {
    it('keeps the latest risk in the KV bucket, so a lookup works for sessions scored elsewhere', async () => {
      await waitFor('the KV write', async () => {
        const kv = await import('@nats-io/kv');
        const bucket = await new kv.Kvm(client).open('chainwatch-risk');
        const keys = await bucket.keys();
        for await (const _ of keys) return true;
        return false;
      });
    });
  }
});
