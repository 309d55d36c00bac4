import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KvRiskStore, riskStoreKey, type KvRiskStoreOptions } from '../../src/outputs/kv-risk-store.js';
import { scoreUpdate } from '../helpers/api-fixtures.js';
import { startNatsServer, useNatsServer } from '../helpers/nats-server.js';

const silent = pino({ level: 'silent' });
const server = useNatsServer({ jetstream: true });
let nc: NatsConnection;
let bucketNumber = 0;
const stores: KvRiskStore[] = [];

beforeAll(async () => {
  nc = await connect({ servers: server().url });
});
afterEach(async () => {
  while (stores.length > 0) await stores.pop()?.close();
});
afterAll(async () => {
  await nc.close();
});

/** A store on a bucket of its own. */
async function openStore(options: Partial<KvRiskStoreOptions> = {}): Promise<KvRiskStore> {
  bucketNumber++;
  const store = await KvRiskStore.open({ connection: nc, logger: silent, bucket: `risk-${bucketNumber}`, ...options });
  stores.push(store);
  return store;
}

/** A second store on the same bucket: it sees only what reached KV. */
async function reopen(store: KvRiskStore): Promise<KvRiskStore> {
  const other = await KvRiskStore.open({ connection: nc, logger: silent, bucket: store.bucket });
  stores.push(other);
  return other;
}

describe('riskStoreKey', () => {
  const KV_KEY = /^[-/=.\w]+$/;

  it('is the base64url of the session id, so it can be read back', () => {
    const session = 'a.b*c> d/é';
    const key = riskStoreKey(session);
    expect(key).toMatch(KV_KEY);
    expect(Buffer.from(key, 'base64url').toString('utf8')).toBe(session);
  });

  it('hashes an empty or very long id into a valid key', () => {
    const long = 's'.repeat(1_000);
    expect(riskStoreKey(long)).toMatch(/^sha256\.[0-9a-f]{64}$/);
    expect(riskStoreKey('')).toMatch(/^sha256\.[0-9a-f]{64}$/);
    expect(riskStoreKey(long)).not.toBe(riskStoreKey(`${long}t`));
  });
});

describe('KvRiskStore', () => {
  it('creates its bucket with history 1 and the configured TTL', async () => {
    const store = await openStore({ ttlMs: 2 * 3_600_000 });
    const status = await (await new Kvm(nc).open(store.bucket)).status();
    expect(status.history).toBe(1);
    expect(status.ttl).toBe(2 * 3_600_000);
  });

  it('round-trips an update through KV', async () => {
    const store = await openStore();
    const update = scoreUpdate({ session: 'session-42', score: 0.91, level: 'critical' });
    store.put(update);
    await store.flush();

    expect(await (await reopen(store)).get('session-42')).toEqual(update);
    expect(store.counters).toEqual({ written: 1, coalesced: 0, dropped: 0, failed: 0 });
  });

  it('stores sessions whose ids are not valid KV keys', async () => {
    const store = await openStore();
    const sessions = ['', 'a.b', 'wild*card>', 'with space', 'ünïcødé/🤖', 'x'.repeat(2_000)];
    for (const session of sessions) store.put(scoreUpdate({ session }));
    await store.flush();

    const other = await reopen(store);
    for (const session of sessions) expect((await other.get(session))?.session).toBe(session);
  });

  it('answers undefined for a session it never saw', async () => {
    const store = await openStore();
    expect(await store.get('nobody')).toBeUndefined();
  });

  it('writes only the latest of a burst of updates for one session', async () => {
    const store = await openStore();
    for (let callCount = 1; callCount <= 100; callCount++) store.put(scoreUpdate({ session: 's', callCount }));
    await store.flush();

    expect(store.counters).toEqual({ written: 1, coalesced: 99, dropped: 0, failed: 0 });
    const entry = await (await new Kvm(nc).open(store.bucket)).get(riskStoreKey('s'));
    expect(entry?.revision).toBe(1);
    expect((await (await reopen(store)).get('s'))?.callCount).toBe(100);
  });

  it('serves an update before it is written', async () => {
    const store = await openStore();
    const update = scoreUpdate({ session: 'fresh' });
    store.put(update);
    expect(await store.get('fresh')).toBe(update);
    await store.flush();
  });

  it('bounds the sessions waiting to be written, counting what it drops', async () => {
    const store = await openStore({ maxPending: 2 });
    store.put(scoreUpdate({ session: 'a' }));
    store.put(scoreUpdate({ session: 'b' }));
    store.put(scoreUpdate({ session: 'c' }));
    store.put(scoreUpdate({ session: 'a', callCount: 9 }));
    await store.flush();

    expect(store.counters).toEqual({ written: 2, coalesced: 1, dropped: 1, failed: 0 });
    const other = await reopen(store);
    expect((await other.get('a'))?.callCount).toBe(9);
    expect(await other.get('c')).toBeUndefined();
  });

  it('keeps writing updates that arrive while a write is in flight', async () => {
    const store = await openStore({ writeConcurrency: 1 });
    store.put(scoreUpdate({ session: 'a', callCount: 1 }));
    await new Promise((resolve) => setImmediate(resolve));
    store.put(scoreUpdate({ session: 'a', callCount: 2 }));
    store.put(scoreUpdate({ session: 'b' }));
    await store.flush();

    const other = await reopen(store);
    expect((await other.get('a'))?.callCount).toBe(2);
    expect((await other.get('b'))?.session).toBe('b');
  });

  it('writes what is pending on close, then drops further updates', async () => {
    const store = await openStore();
    store.put(scoreUpdate({ session: 'last' }));
    await store.close();
    store.put(scoreUpdate({ session: 'late' }));

    expect(store.counters).toMatchObject({ written: 1, dropped: 1 });
    const other = await reopen(store);
    expect(await other.get('last')).toBeDefined();
    expect(await other.get('late')).toBeUndefined();
  });
});

describe('KvRiskStore with NATS unreachable', () => {
  it('closes within its deadline, dropping and counting the writes still pending', async () => {
    const own = await startNatsServer({ jetstream: true });
    const connection = await connect({ servers: own.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    try {
      const store = await KvRiskStore.open({ connection, logger: silent, bucket: 'unreachable' });
      await own.stop();
      for (let i = 0; i < 200; i++) store.put(scoreUpdate({ session: `s-${i}` }));
      const started = Date.now();
      await store.close(300);
      // Each put would wait out its timeout, 16 at a time: minutes for 200.
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(store.counters.dropped).toBeGreaterThan(0);
      expect(store.counters.written).toBe(0);
    } finally {
      await connection.close();
    }
  });
});
