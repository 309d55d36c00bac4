import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsScoreSink } from '../../src/outputs/nats-score-sink.js';
import type { EscalationSignal, ScoreUpdate } from '../../src/scoring/risk.js';
import { alert, scoreUpdate } from '../helpers/api-fixtures.js';
import { startNatsServer, useNatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/wait-for.js';

const silent = pino({ level: 'silent' });
const server = useNatsServer();
let nc: NatsConnection;

beforeAll(async () => {
  nc = await connect({ servers: server().url });
});
afterAll(async () => {
  await nc.close();
});

function escalation(overrides: Partial<EscalationSignal> = {}): EscalationSignal {
  return {
    session: 'session-1',
    traceIds: ['4bf92f3577b34da6a3ce929d0e0e4736'],
    service: 'travel-agent',
    level: 'full',
    ttlSeconds: 900,
    reason: 'score 0.82 at or above 0.7',
    score: 0.82,
    issuedAt: '2025-03-01T10:00:05.000Z',
    ...overrides,
  };
}

/** Everything published under `subject` from now on. */
async function collect(subject: string): Promise<Msg[]> {
  const received: Msg[] = [];
  nc.subscribe(subject, {
    callback: (_error, msg) => {
      received.push(msg);
    },
  });
  await nc.flush();
  return received;
}

describe('NatsScoreSink through a disconnect', () => {
  it('holds alerts and escalation signals while the connection is down and publishes them when it is back', async () => {
    const own = await startNatsServer();
    const connection = await connect({ servers: own.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    const sink = new NatsScoreSink({ connection, logger: silent });
    await own.stop();
    await waitFor('the sink to see the disconnect', () => {
      sink.publishScore(scoreUpdate());
      return sink.counters.dropped > 0;
    });
    sink.publishAlert(alert());
    sink.publishEscalation(escalation({ issuedAt: new Date().toISOString() }));
    // A signal whose TTL ran out while the connection was down would escalate nothing: left out.
    sink.publishEscalation(escalation({ session: 'stale', issuedAt: new Date(Date.now() - 3_600_000).toISOString() }));
    expect(sink.counters).toMatchObject({ alerts: 0, escalations: 0, held: 3 });

    const restarted = await startNatsServer({ port: own.port });
    try {
      const observer = await connect({ servers: restarted.url });
      const received: string[] = [];
      observer.subscribe('chainwatch.>', {
        callback: (_error, msg) => {
          received.push(msg.subject);
        },
      });
      await observer.flush();
      // The sink's connection reconnects on its own; what it held goes out then.
      await waitFor('the held results to be published', () => sink.counters.held === 0 && sink.counters.alerts === 1);
      await sink.flush();
      await waitFor('the observer to receive them', () => received.length >= 2);
      expect(received.sort()).toEqual(['chainwatch.alerts', 'chainwatch.sampling.travel-agent']);
      expect(sink.counters).toMatchObject({ alerts: 1, escalations: 1, held: 0 });
      await observer.close();
    } finally {
      await connection.close();
      await restarted.stop();
    }
  });
});

describe('NatsScoreSink', () => {
  it('publishes scores, alerts and escalations as JSON on their subjects', async () => {
    const received = await collect('chainwatch.>');
    const sink = new NatsScoreSink({ connection: nc, logger: silent });
    const update = scoreUpdate();
    const raised = alert();
    const signal = escalation({ service: 'billing.api v2' });
    sink.publishScore(update);
    sink.publishAlert(raised);
    sink.publishEscalation(signal);
    await sink.flush();

    await waitFor('three messages', () => received.length === 3);
    expect(received.map((msg) => [msg.subject, msg.json()])).toEqual([
      ['chainwatch.scores', update],
      ['chainwatch.alerts', raised],
      ['chainwatch.sampling.billing_api_v2', signal],
    ]);
    expect(sink.counters).toEqual({ scores: 1, alerts: 1, escalations: 1, failed: 0, dropped: 0, held: 0 });
    await sink.close();
  });

  it('lets a producer follow only its own service', async () => {
    const forCheckout = await collect('chainwatch.sampling.checkout');
    const sink = new NatsScoreSink({ connection: nc, logger: silent });
    sink.publishEscalation(escalation({ service: 'search' }));
    sink.publishEscalation(escalation({ service: 'checkout', session: 'mine' }));
    sink.publishEscalation(escalation({ service: '' }));
    await sink.flush();

    await waitFor('the checkout signal', () => forCheckout.length === 1);
    await nc.flush();
    expect(forCheckout.map((msg) => msg.json<EscalationSignal>().session)).toEqual(['mine']);
  });

  it('sends an escalation for an unnamed service to unknown_service', async () => {
    const received = await collect('chainwatch.sampling.*');
    const sink = new NatsScoreSink({ connection: nc, logger: silent });
    sink.publishEscalation(escalation({ service: '' }));
    await sink.flush();
    await waitFor('the signal', () => received.length === 1);
    expect(received[0]?.subject).toBe('chainwatch.sampling.unknown_service');
  });

  it('uses the configured prefix', async () => {
    const received = await collect('acme.cw.>');
    const sink = new NatsScoreSink({ connection: nc, logger: silent, prefix: 'acme.cw' });
    sink.publishScore(scoreUpdate());
    sink.publishAlert(alert());
    sink.publishEscalation(escalation());
    await sink.flush();
    await waitFor('three messages', () => received.length === 3);
    expect(received.map((msg) => msg.subject)).toEqual(['acme.cw.scores', 'acme.cw.alerts', 'acme.cw.sampling.travel-agent']);
  });

  it('counts a payload it cannot serialise instead of throwing', async () => {
    const sink = new NatsScoreSink({ connection: nc, logger: silent });
    const unserialisable = { ...scoreUpdate(), score: 1n } as unknown as ScoreUpdate;
    expect(() => sink.publishScore(unserialisable)).not.toThrow();
    sink.publishScore(scoreUpdate());
    expect(sink.counters).toEqual({ scores: 1, alerts: 0, escalations: 0, failed: 1, dropped: 0, held: 0 });
  });

  it('drops and counts results while the connection is down, never throwing', async () => {
    const own = await startNatsServer();
    const connection = await connect({ servers: own.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    const sink = new NatsScoreSink({ connection, logger: silent });
    sink.publishScore(scoreUpdate());
    await sink.flush();
    expect(sink.counters.scores).toBe(1);

    await own.stop();
    await waitFor('the sink to see the disconnect', () => {
      sink.publishScore(scoreUpdate());
      return sink.counters.dropped > 0;
    });
    const published = sink.counters.scores;
    const dropped = sink.counters.dropped;
    sink.publishScore(scoreUpdate());
    expect(sink.counters.scores).toBe(published);
    expect(sink.counters.dropped).toBe(dropped + 1);

    await connection.close();
    expect(() => sink.publishScore(scoreUpdate())).not.toThrow();
    await expect(sink.close()).resolves.toBeUndefined();
  });
});
