import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamSpanSource, type JetStreamSpanSourceOptions } from '../../src/ingest/jetstream-source.js';
import type { EncodedBatch, IngestOutcome } from '../../src/ingest/span-source.js';
import { useNatsServer } from '../helpers/nats-server.js';
import { publishRawHeaders } from '../helpers/nats-raw-publish.js';
import { gate, openAllGates, sleep, waitFor } from '../helpers/wait-for.js';

const silent = pino({ level: 'silent' });
const server = useNatsServer({ jetstream: true });
let nc: NatsConnection;
let js: JetStreamClient;
let manager: JetStreamManager;
const sources: JetStreamSpanSource[] = [];
let testNumber = 0;

beforeAll(async () => {
  nc = await connect({ servers: server().url });
  js = jetstream(nc);
  manager = await jetstreamManager(nc);
});
afterEach(async () => {
  openAllGates();
  while (sources.length > 0) await sources.pop()?.stop();
});
afterAll(async () => {
  await nc.close();
});

/** A source on its own prefix, stream and consumer, so tests share nothing. */
function isolatedSource(options: Partial<JetStreamSpanSourceOptions> = {}): JetStreamSpanSource {
  testNumber++;
  const created = new JetStreamSpanSource({
    connection: nc,
    logger: silent,
    prefix: `t${testNumber}`,
    stream: `OTLP_${testNumber}`,
    consumer: `scorer-${testNumber}`,
    retryDelayMs: 20,
    ...options,
  });
  sources.push(created);
  return created;
}

function outcome(acceptedSpans: number): IngestOutcome {
  return { acceptedSpans, rejectedSpans: 0, errorMessage: '' };
}

function failure(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

async function consumerState(source: JetStreamSpanSource): Promise<{ pending: number; ackPending: number; redelivered: number }> {
  const info = await manager.consumers.info(source.stream, source.consumer);
  return { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
}

const body = Uint8Array.from([0x0a, 0x02, 0x08, 0x01]);

describe('JetStreamSpanSource', () => {
  it('creates a limits stream and a durable explicit-ack pull consumer', async () => {
    const source = isolatedSource({ maxStreamBytes: 64 * 1024 * 1024, maxAgeMs: 3_600_000, maxAckPending: 32, ackWaitMs: 10_000, maxDeliver: 4 });
    await source.start(async () => outcome(0));

    const stream = await manager.streams.info(source.stream);
    expect(stream.config.subjects).toEqual([source.subject]);
    expect(stream.config.retention).toBe(RetentionPolicy.Limits);
    expect(stream.config.max_bytes).toBe(64 * 1024 * 1024);
    expect(stream.config.max_age).toBe(nanos(3_600_000));
    const consumer = await manager.consumers.info(source.stream, source.consumer);
    expect(consumer.config).toMatchObject({
      durable_name: source.consumer,
      ack_policy: AckPolicy.Explicit,
      filter_subject: source.subject,
      max_ack_pending: 32,
      ack_wait: nanos(10_000),
      max_deliver: 4,
    });
  });

  it('delivers a stored batch with its headers and acks it only once the handler resolves', async () => {
    const hold = gate();
    const received: EncodedBatch[] = [];
    const source = isolatedSource();
    await source.start(async (batch) => {
      received.push(batch);
      await hold.opened;
      return outcome(1);
    });
    const h = headers();
    h.set('Content-Type', 'application/json');
    h.set('Content-Encoding', 'gzip');
    const ack = await js.publish(source.subject, body, { headers: h });

    await waitFor('the batch', () => received.length === 1);
    expect(received[0]?.contentType).toBe('application/json');
    expect(received[0]?.contentEncoding).toBe('gzip');
    expect(received[0]?.origin).toBe(`jetstream:${source.subject}#${ack.seq}`);
    expect(Array.from(received[0]?.body ?? [])).toEqual(Array.from(body));
    await sleep(100);
    expect(await consumerState(source)).toMatchObject({ ackPending: 1 });
    expect(source.counters.acked).toBe(0);

    hold.open();
    await waitFor('the ack', async () => (await consumerState(source)).ackPending === 0);
    expect(await consumerState(source)).toEqual({ pending: 0, ackPending: 0, redelivered: 0 });
    expect(source.counters).toEqual({ received: 1, acked: 1, failed: 0, retried: 0, termed: 0, resubscribed: 0 });
  });

  it('redelivers a batch whose handler failed for another reason', async () => {
    const origins: string[] = [];
    const source = isolatedSource();
    await source.start(async (batch) => {
      origins.push(batch.origin);
      if (origins.length === 1) throw new Error('session store unavailable');
      return outcome(1);
    });
    await js.publish(source.subject, body);

    await waitFor('the redelivery', () => source.counters.acked === 1);
    expect(origins).toHaveLength(2);
    expect(origins[1]).toBe(origins[0]);
    expect(source.counters).toEqual({ received: 2, acked: 1, failed: 1, retried: 1, termed: 0, resubscribed: 0 });
    await waitFor('the server to count the ack', async () => (await consumerState(source)).ackPending === 0);
    expect(await consumerState(source)).toMatchObject({ pending: 0, ackPending: 0, redelivered: 0 });
  });

  it.each(['OtlpDecodeError', 'UnsupportedMediaTypeError', 'PayloadTooLargeError'])('terminates a batch rejected with %s, never redelivering it', async (name) => {
    let calls = 0;
    const source = isolatedSource();
    await source.start(async () => {
      calls++;
      throw failure(name, 'cannot decode');
    });
    await js.publish(source.subject, body);

    await waitFor('the termination', () => source.counters.termed === 1);
    // Far beyond the 20 ms retry delay: a nak would have been redelivered by now.
    await sleep(300);
    expect(calls).toBe(1);
    expect(source.counters).toEqual({ received: 1, acked: 0, failed: 1, retried: 0, termed: 1, resubscribed: 0 });
    await waitFor('the server to count the ack', async () => (await consumerState(source)).ackPending === 0);
    expect(await consumerState(source)).toEqual({ pending: 0, ackPending: 0, redelivered: 0 });
  });

  it('gives up on a batch after maxDeliver failed deliveries', async () => {
    let calls = 0;
    const source = isolatedSource({ maxDeliver: 3 });
    await source.start(async () => {
      calls++;
      throw new Error('still failing');
    });
    await js.publish(source.subject, body);

    await waitFor('the give-up', () => source.counters.termed === 1);
    await sleep(300);
    expect(calls).toBe(3);
    expect(source.counters).toEqual({ received: 3, acked: 0, failed: 3, retried: 2, termed: 1, resubscribed: 0 });
    await waitFor('the server to count the ack', async () => (await consumerState(source)).ackPending === 0);
    expect(await consumerState(source)).toMatchObject({ ackPending: 0 });
  });

  it('terminates a batch with an unsupported Content-Encoding without calling the handler', async () => {
    let calls = 0;
    const source = isolatedSource();
    await source.start(async () => {
      calls++;
      return outcome(1);
    });
    const h = headers();
    h.set('Content-Encoding', 'zstd');
    await js.publish(source.subject, body, { headers: h });

    await waitFor('the termination', () => source.counters.termed === 1);
    expect(calls).toBe(0);
    expect(source.counters.failed).toBe(1);
  });

  it('terminates a batch whose header block the client cannot parse, and goes on', async () => {
    let calls = 0;
    const source = isolatedSource();
    await source.start(async () => {
      calls++;
      return outcome(1);
    });
    await publishRawHeaders(server().port, source.subject, 'NATS/1.0\r\nX Bad: 1\r\n\r\n');
    await waitFor('the termination', () => source.counters.termed === 1);
    await js.publish(source.subject, body);
    await waitFor('the next batch', () => calls === 1);
    expect(source.counters.failed).toBe(1);
  });

  /** A started source that records every batch, after `count` batches it has already received. */
  async function recordingSource(count: number): Promise<{ source: JetStreamSpanSource; received: EncodedBatch[] }> {
    const received: EncodedBatch[] = [];
    const source = isolatedSource();
    await source.start(async (batch) => {
      received.push(batch);
      return outcome(1);
    });
    for (let i = 0; i < count; i++) await js.publish(source.subject, body);
    await waitFor('the first batches', () => received.length === count);
    return { source, received };
  }

  it('makes its consumer again when it is deleted, and goes on consuming', async () => {
    const { source, received } = await recordingSource(1);

    await manager.consumers.delete(source.stream, source.consumer);
    await waitFor('the consumer to be made again', () => source.counters.resubscribed === 1, 20_000);
    expect(source.healthy).toBe(true);
    for (let i = 0; i < 3; i++) await js.publish(source.subject, body);
    await waitFor('the batches after it', () => received.length === 4, 10_000);
    // The new consumer starts after what was delivered, not from the stream's start.
    await sleep(300);
    expect(received).toHaveLength(4);
  }, 40_000);

  it('makes its stream and consumer again when the stream is deleted', async () => {
    const { source, received } = await recordingSource(2);

    await manager.streams.delete(source.stream);
    await waitFor('the consumer to be made again', () => source.counters.resubscribed === 1, 20_000);
    await js.publish(source.subject, body);
    await waitFor('the batch in the new stream', () => received.length === 3, 10_000);
  }, 40_000);

  it('handles at most `concurrency` batches at once', async () => {
    const hold = gate();
    let active = 0;
    let peak = 0;
    const source = isolatedSource({ concurrency: 3 });
    await source.start(async () => {
      active++;
      peak = Math.max(peak, active);
      await hold.opened;
      active--;
      return outcome(1);
    });
    for (let i = 0; i < 10; i++) await js.publish(source.subject, body);

    await waitFor('three in flight', () => active === 3);
    await sleep(100);
    expect(active).toBe(3);
    hold.open();
    await waitFor('all ten', () => source.counters.acked === 10);
    expect(peak).toBe(3);
  });

  it('stop waits for batches in flight, and a new source resumes from the durable consumer', async () => {
    const handled: string[] = [];
    const first = isolatedSource();
    await first.start(async (batch) => {
      await sleep(100);
      handled.push(batch.origin);
      return outcome(1);
    });
    await js.publish(first.subject, body);
    await waitFor('the batch to start', () => first.counters.received === 1);
    await first.stop();
    expect(first.counters.acked).toBe(1);

    await js.publish(first.subject, body);
    const second = new JetStreamSpanSource({
      connection: nc,
      logger: silent,
      prefix: `t${testNumber}`,
      stream: first.stream,
      consumer: first.consumer,
    });
    sources.push(second);
    await second.start(async (batch) => {
      handled.push(batch.origin);
      return outcome(1);
    });
    await waitFor('the second batch', () => handled.length === 2);
    expect(handled).toEqual([`jetstream:${first.subject}#1`, `jetstream:${first.subject}#2`]);
  });

  it("adds its subject to an existing stream and keeps the stream's limits", async () => {
    testNumber++;
    const stream = `OTLP_${testNumber}`;
    await manager.streams.add({ name: stream, subjects: ['other.traces'], max_age: nanos(60_000) });
    const source = isolatedSource({ stream });
    await source.start(async () => outcome(1));

    const info = await manager.streams.info(stream);
    expect(info.config.subjects).toEqual(['other.traces', source.subject]);
    expect(info.config.max_age).toBe(nanos(60_000));
  });

  it('refuses to start on a consumer that filters another subject', async () => {
    testNumber++;
    const stream = `OTLP_${testNumber}`;
    await manager.streams.add({ name: stream, subjects: ['x.otlp.traces', 'y.otlp.traces'] });
    await manager.consumers.add(stream, { durable_name: 'taken', ack_policy: AckPolicy.Explicit, filter_subject: 'y.otlp.traces' });
    const source = new JetStreamSpanSource({ connection: nc, logger: silent, prefix: 'x', stream, consumer: 'taken' });
    await expect(source.start(async () => outcome(1))).rejects.toThrow(/filters "y.otlp.traces", not "x.otlp.traces"/);
  });
});
