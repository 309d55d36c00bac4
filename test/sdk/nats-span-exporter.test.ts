import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeOtlpProtobuf } from '../../src/ingest/otlp/decode.js';
import { NatsSpanExporter } from '../../src/sdk/index.js';
import { useNatsServer } from '../helpers/nats-server.js';
import { sessionSpans } from '../helpers/otel-session.js';
import { waitFor } from '../helpers/wait-for.js';

const spans = (sessionId: string, calls = 2): ReadableSpan[] =>
  sessionSpans({
    sessionId,
    prompt: 'summarize the tickets',
    calls: Array.from({ length: calls }, (_, i) => ({ tool: 'search_docs', args: { q: `ticket ${i} ${'x'.repeat(200)}` } })),
  });

const exportWith = (exporter: NatsSpanExporter, batch: ReadableSpan[]): Promise<ExportResult> =>
  new Promise((resolve) => exporter.export(batch, resolve));

const clients: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe('NatsSpanExporter', () => {
  const nats = useNatsServer({ jetstream: true });

  async function client(): Promise<NatsConnection> {
    const nc = await connect({ servers: nats().url });
    clients.push(nc);
    return nc;
  }

  it('publishes OTLP protobuf export requests on core NATS', async () => {
    const nc = await client();
    const received: Uint8Array[] = [];
    nc.subscribe('chainwatch.otlp.traces', { callback: (_error, message) => void received.push(message.data) });
    await nc.flush();
    const exporter = new NatsSpanExporter({ connection: nc });
    const batch = spans('core-1');
    expect(await exportWith(exporter, batch)).toEqual({ code: ExportResultCode.SUCCESS });
    await waitFor('the published batch', () => received.length === 1);
    const decoded = decodeOtlpProtobuf(received[0]!);
    expect(decoded.spans.map((s) => s.spanId).sort()).toEqual(batch.map((s) => s.spanContext().spanId).sort());
    expect(exporter.stats).toMatchObject({ exportedSpans: batch.length, failedSpans: 0 });
  });

  it('publishes to JetStream and waits for the ack', async () => {
    const nc = await client();
    const manager = await jetstreamManager(nc);
    await manager.streams.add({ name: 'exporter-test', subjects: ['js.otlp.traces'] });
    const exporter = new NatsSpanExporter({ connection: nc, jetstream: true, subjectPrefix: 'js' });
    expect(await exportWith(exporter, spans('js-1'))).toEqual({ code: ExportResultCode.SUCCESS });
    expect((await manager.streams.info('exporter-test')).state.messages).toBe(1);
  });

  it('gives up after its tries when nothing acks, and reports FAILED', async () => {
    const nc = await client();
    const exporter = new NatsSpanExporter({ connection: nc, jetstream: true, subjectPrefix: 'nostream', maxAttempts: 3, retryDelayMs: 5, timeoutMs: 500 });
    const batch = spans('lost');
    const result = await exportWith(exporter, batch);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toBeInstanceOf(Error);
    expect(exporter.stats).toMatchObject({ retries: 2, failedSpans: batch.length, exportedSpans: 0 });
  });

  it('splits a batch over the server max payload', async () => {
    const nc = await client();
    const received: Uint8Array[] = [];
    nc.subscribe('split.otlp.traces', { callback: (_error, message) => void received.push(message.data) });
    await nc.flush();
    // The same connection, reporting a small max payload.
    const small = new Proxy(nc, {
      get: (target, property) => (property === 'info' ? { ...target.info!, max_payload: 2_000 } : Reflect.get(target, property, target)),
    });
    const exporter = new NatsSpanExporter({ connection: small, subjectPrefix: 'split' });
    const batch = spans('big', 12);
    expect((await exportWith(exporter, batch)).code).toBe(ExportResultCode.SUCCESS);
    await waitFor('every part', () => received.reduce((n, body) => n + decodeOtlpProtobuf(body).spans.length, 0) === batch.length);
    expect(received.length).toBeGreaterThan(1);
    expect(received.every((body) => body.length <= 2_000)).toBe(true);
    expect(exporter.stats.splits).toBeGreaterThan(0);
  });

  it('flushes on shutdown and refuses exports after it', async () => {
    const nc = await client();
    const exporter = new NatsSpanExporter({ connection: nc });
    let first: ExportResult | undefined;
    exporter.export(spans('before-shutdown'), (result) => {
      first = result;
    });
    await exporter.shutdown();
    expect(first).toEqual({ code: ExportResultCode.SUCCESS });
    expect((await exportWith(exporter, spans('after-shutdown'))).code).toBe(ExportResultCode.FAILED);
  });
});
