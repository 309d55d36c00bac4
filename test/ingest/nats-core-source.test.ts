import { gzipSync } from 'node:zlib';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NatsCoreSpanSource, type NatsIngestReply } from '../../src/ingest/nats-core-source.js';
import type { EncodedBatch, IngestOutcome } from '../../src/ingest/span-source.js';
import { useNatsServer } from '../helpers/nats-server.js';
import { publishRawHeaders } from '../helpers/nats-raw-publish.js';
import { gate, openAllGates, sleep, waitFor } from '../helpers/wait-for.js';

const silent = pino({ level: 'silent' });
const server = useNatsServer();
let nc: NatsConnection;
const sources: NatsCoreSpanSource[] = [];

beforeAll(async () => {
  nc = await connect({ servers: server().url });
});
afterEach(async () => {
  openAllGates();
  while (sources.length > 0) await sources.pop()?.stop();
});
afterAll(async () => {
  await nc.close();
});

function source(options: Partial<ConstructorParameters<typeof NatsCoreSpanSource>[0]> = {}): NatsCoreSpanSource {
  const created = new NatsCoreSpanSource({ connection: nc, logger: silent, ...options });
  sources.push(created);
  return created;
}

function outcome(acceptedSpans: number): IngestOutcome {
  return { acceptedSpans, rejectedSpans: 0, errorMessage: '' };
}

class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

const body = Uint8Array.from([0x0a, 0x03, 0x01, 0x02, 0x03]);

describe('NatsCoreSpanSource', () => {
  it('delivers a published batch with its content type and encoding', async () => {
    const received: EncodedBatch[] = [];
    const nats = source();
    await nats.start(async (batch) => {
      received.push(batch);
      return outcome(1);
    });
    const compressed = gzipSync(Buffer.from('{"resourceSpans":[]}'));
    const h = headers();
    h.set('Content-Type', 'application/json; charset=utf-8');
    h.set('Content-Encoding', 'GZIP');
    nc.publish('chainwatch.otlp.traces', compressed, { headers: h });

    await waitFor('the batch', () => received.length === 1);
    const [batch] = received;
    expect(Array.from(batch?.body ?? [])).toEqual(Array.from(compressed));
    expect({ ...batch, body: undefined }).toEqual({
      body: undefined,
      contentType: 'application/json; charset=utf-8',
      contentEncoding: 'gzip',
      origin: 'nats:chainwatch.otlp.traces',
    });
    expect(nats.counters).toEqual({ received: 1, completed: 1, failed: 0, dropped: 0 });
  });

  it('answers a message whose header block the client cannot parse with an error, and goes on', async () => {
    const received: EncodedBatch[] = [];
    const nats = source();
    await nats.start(async (batch) => {
      received.push(batch);
      return outcome(1);
    });
    await publishRawHeaders(server().port, 'chainwatch.otlp.traces', 'NATS/1.0\r\nX Bad: 1\r\n\r\n');
    await waitFor('the failure', () => nats.counters.failed === 1);
    nc.publish('chainwatch.otlp.traces', body);
    await waitFor('the next batch', () => received.length === 1);
    expect(nats.counters).toEqual({ received: 2, completed: 1, failed: 1, dropped: 0 });
  });

  it('defaults to uncompressed protobuf without headers, matching header names in any case', async () => {
    const received: EncodedBatch[] = [];
    await source().start(async (batch) => {
      received.push(batch);
      return outcome(1);
    });
    nc.publish('chainwatch.otlp.traces', body);
    const h = headers();
    h.set('content-encoding', 'identity');
    nc.publish('chainwatch.otlp.traces', body, { headers: h });

    await waitFor('both batches', () => received.length === 2);
    for (const batch of received) {
      expect(batch.contentType).toBe('application/x-protobuf');
      expect(batch.contentEncoding).toBe('');
      expect(Array.from(batch.body)).toEqual(Array.from(body));
    }
  });

  it('answers a request with the outcome', async () => {
    await source().start(async () => ({ acceptedSpans: 3, rejectedSpans: 1, errorMessage: 'span 2: no trace id' }));
    const reply = await nc.request('chainwatch.otlp.traces', body, { timeout: 2_000 });
    expect(reply.json<NatsIngestReply>()).toEqual({
      ok: true,
      acceptedSpans: 3,
      rejectedSpans: 1,
      errorMessage: 'span 2: no trace id',
    });
  });

  it('counts a rejected batch, answers with the error and keeps consuming', async () => {
    let calls = 0;
    const nats = source();
    await nats.start(async () => {
      calls++;
      if (calls === 1) throw new OtlpDecodeError('resourceSpans[0]: truncated message');
      return outcome(2);
    });
    const failed = await nc.request('chainwatch.otlp.traces', body, { timeout: 2_000 });
    expect(failed.json<NatsIngestReply>()).toEqual({
      ok: false,
      error: 'OtlpDecodeError: resourceSpans[0]: truncated message',
    });
    const next = await nc.request('chainwatch.otlp.traces', body, { timeout: 2_000 });
    expect(next.json<NatsIngestReply>()).toMatchObject({ ok: true, acceptedSpans: 2 });
    expect(nats.counters).toEqual({ received: 2, completed: 1, failed: 1, dropped: 0 });
  });

  it('refuses an unsupported Content-Encoding without calling the handler', async () => {
    let calls = 0;
    const nats = source();
    await nats.start(async () => {
      calls++;
      return outcome(1);
    });
    const h = headers();
    h.set('Content-Encoding', 'br');
    const reply = await nc.request('chainwatch.otlp.traces', body, { timeout: 2_000, headers: h });
    const answer = reply.json<NatsIngestReply>();
    expect(answer.ok).toBe(false);
    expect(answer.ok === false && answer.error).toMatch(/Content-Encoding "br"/);
    expect(calls).toBe(0);
    expect(nats.counters.failed).toBe(1);
  });

  it('handles at most `concurrency` batches at once, queues a bounded number and drops the rest', async () => {
    const hold = gate();
    let active = 0;
    let peak = 0;
    let handled = 0;
    const nats = source({ concurrency: 2, maxQueued: 1 });
    await nats.start(async () => {
      active++;
      peak = Math.max(peak, active);
      await hold.opened;
      active--;
      handled++;
      return outcome(1);
    });
    for (let i = 0; i < 5; i++) nc.publish('chainwatch.otlp.traces', body);
    await nc.flush();
    await waitFor('all five to arrive', () => nats.counters.received === 5);
    expect(nats.counters.dropped).toBe(2);
    expect(active).toBe(2);

    hold.open();
    await waitFor('the accepted batches', () => handled === 3);
    expect(peak).toBe(2);
    expect(nats.counters).toEqual({ received: 5, completed: 3, failed: 0, dropped: 2 });
  });

  it('answers a dropped request that it is overloaded', async () => {
    const hold = gate();
    await source({ concurrency: 1, maxQueued: 0 }).start(async () => {
      await hold.opened;
      return outcome(1);
    });
    const first = nc.request('chainwatch.otlp.traces', body, { timeout: 2_000 });
    await sleep(50);
    const second = await nc.request('chainwatch.otlp.traces', body, { timeout: 2_000 });
    expect(second.json<NatsIngestReply>()).toEqual({ ok: false, error: 'overloaded: batch dropped, retry later' });
    hold.open();
    expect((await first).json<NatsIngestReply>()).toMatchObject({ ok: true });
  });

  it('shares batches across a queue group', async () => {
    let first = 0;
    let second = 0;
    await source().start(async () => {
      first++;
      return outcome(1);
    });
    await source().start(async () => {
      second++;
      return outcome(1);
    });
    for (let i = 0; i < 40; i++) nc.publish('chainwatch.otlp.traces', body);
    await waitFor('all forty', () => first + second === 40);
    await sleep(50);
    expect(first + second).toBe(40);
  });

  it('derives its subject from the prefix, or takes one', async () => {
    expect(source({ prefix: 'acme.cw' }).subject).toBe('acme.cw.otlp.traces');
    const received: string[] = [];
    await source({ subject: 'tenants.*.traces' }).start(async (batch) => {
      received.push(batch.origin);
      return outcome(1);
    });
    nc.publish('tenants.blue.traces', body);
    await waitFor('the tenant batch', () => received.length === 1);
    expect(received).toEqual(['nats:tenants.blue.traces']);
  });

  it('rejects a prefix that is not a subject, naming it', () => {
    expect(() => new NatsCoreSpanSource({ connection: nc, logger: silent, prefix: 'chain watch' })).toThrow(
      /subject prefix "chain watch"/,
    );
    expect(() => new NatsCoreSpanSource({ connection: nc, logger: silent, concurrency: 0 })).toThrow(
      /concurrency must be an integer >= 1/,
    );
  });

  it('stop waits for batches in flight and takes no more', async () => {
    let finished = 0;
    const nats = new NatsCoreSpanSource({ connection: nc, logger: silent });
    await nats.start(async () => {
      await sleep(100);
      finished++;
      return outcome(1);
    });
    nc.publish('chainwatch.otlp.traces', body);
    await waitFor('the batch to start', () => nats.counters.received === 1);
    await nats.stop();
    expect(finished).toBe(1);
    nc.publish('chainwatch.otlp.traces', body);
    await nc.flush();
    await sleep(50);
    expect(nats.counters.received).toBe(1);
  });
});
