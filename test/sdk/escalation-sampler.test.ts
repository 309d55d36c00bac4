import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import type { Attributes, Context } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  RandomIdGenerator,
  SamplingDecision,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { EscalationSampler, ESCALATED_ATTRIBUTE } from '../../src/sdk/index.js';
import type { EscalationSignal } from '../../src/sdk/index.js';
import { useNatsServer } from '../helpers/nats-server.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait-for.js';

function signal(overrides: Partial<EscalationSignal> = {}): EscalationSignal {
  return {
    session: 'session-bad',
    traceIds: [],
    service: 'support-agent',
    level: 'full',
    ttlSeconds: 60,
    reason: 'pii then an external send',
    score: 0.9,
    issuedAt: new Date().toISOString(),
    ...overrides,
  };
}

/** A real SDK provider sampling with `sampler`; `span` starts and ends one span and says whether it was exported. */
function traced(sampler: Sampler) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  const span = (attributes: Attributes, parent: Context = ROOT_CONTEXT): { sampled: boolean; traceId: string; context: Context } => {
    const started = tracer.startSpan('tools/call run_python', { kind: SpanKind.CLIENT, attributes }, parent);
    started.end();
    const { traceId, traceFlags } = started.spanContext();
    return { sampled: (traceFlags & TraceFlags.SAMPLED) !== 0, traceId, context: trace.setSpan(parent, started) };
  };
  return { exporter, span };
}

const neverSample: Sampler = {
  shouldSample: () => ({ decision: SamplingDecision.NOT_RECORD }),
  toString: () => 'Never',
};

const clients: NatsConnection[] = [];
const samplers: EscalationSampler[] = [];
afterEach(async () => {
  await Promise.all(samplers.splice(0).map((s) => s.close()));
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe('EscalationSampler decisions (real OpenTelemetry SDK)', () => {
  it('leaves every decision to the base sampler until a signal arrives', () => {
    const base = new TraceIdRatioBasedSampler(0.1);
    const sampler = new EscalationSampler({ base, service: 'support-agent' });
    const { span } = traced(sampler);
    const ids = new RandomIdGenerator();
    let sampled = 0;
    for (let i = 0; i < 500; i++) {
      const traceId = ids.generateTraceId();
      const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: ids.generateSpanId(), traceFlags: TraceFlags.NONE, isRemote: true });
      const result = span({ 'mcp.session.id': `s-${i}` }, parent);
      const expected = base.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
      expect(result.sampled).toBe(expected);
      if (result.sampled) sampled++;
    }
    // About 10 %; the exact set is the base sampler's, checked above.
    expect(sampled).toBeGreaterThan(20);
    expect(sampled).toBeLessThan(90);
    expect(sampler.stats.escalatedDecisions).toBe(0);
  });

  it('samples every span of an escalated session, by attribute or by trace id, and the rest of its traces', () => {
    const sampler = new EscalationSampler({ base: neverSample, service: 'support-agent' });
    const { exporter, span } = traced(sampler);
    expect(span({ 'gen_ai.conversation.id': 'session-bad' }).sampled).toBe(false);

    const knownTrace = new RandomIdGenerator().generateTraceId();
    expect(sampler.apply(signal({ traceIds: [knownTrace] }))).toBe(true);
    for (const key of ['mcp.session.id', 'gen_ai.conversation.id', 'session.id', 'traceloop.association.properties.session_id']) {
      expect(span({ [key]: 'session-bad' }).sampled).toBe(true);
    }
    expect(span({ 'mcp.session.id': 'session-good' }).sampled).toBe(false);
    // A tool span names its MCP transport session beside the conversation the signal named.
    expect(span({ 'gen_ai.conversation.id': 'session-bad', 'mcp.session.id': 'mcp-7' }).sampled).toBe(true);
    expect(span({}).sampled).toBe(false);

    // A child that does not name the session, in a trace the session's root started.
    const root = span({ 'gen_ai.conversation.id': 'session-bad' });
    expect(span({}, root.context).sampled).toBe(true);
    // A span of a trace the signal named.
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: knownTrace, spanId: 'aaaaaaaaaaaaaaaa', traceFlags: TraceFlags.NONE, isRemote: true });
    expect(span({}, parent).sampled).toBe(true);

    const exported = exporter.getFinishedSpans();
    expect(exported.every((s) => s.attributes[ESCALATED_ATTRIBUTE] === true)).toBe(true);
    expect(exported).toHaveLength(8);
    expect(sampler.isEscalated('session-bad')).toBe(true);
    expect(sampler.toString()).toBe('EscalationSampler{base=Never, subject=chainwatch.sampling.support-agent, escalatedSessions=1}');
  });

  it('stops at the end of the TTL, and a renewal extends it', () => {
    const now = { ms: 1_000_000 };
    const sampler = new EscalationSampler({ base: neverSample, service: 'support-agent', clock: () => now.ms });
    const { span } = traced(sampler);
    sampler.apply(signal({ ttlSeconds: 60 }));
    now.ms += 59_000;
    expect(span({ 'mcp.session.id': 'session-bad' }).sampled).toBe(true);
    sampler.apply(signal({ ttlSeconds: 60 }));
    now.ms += 59_000;
    expect(span({ 'mcp.session.id': 'session-bad' }).sampled).toBe(true);
    now.ms += 2_000;
    expect(span({ 'mcp.session.id': 'session-bad' }).sampled).toBe(false);
    expect(sampler.isEscalated('session-bad')).toBe(false);
  });

  it('ignores what is not a signal and bounds what it remembers', () => {
    const sampler = new EscalationSampler({ base: neverSample, service: 'a', maxSessions: 2 });
    expect(sampler.apply({ session: 'x' })).toBe(false);
    expect(sampler.apply(signal({ ttlSeconds: 0 }))).toBe(false);
    for (const session of ['s1', 's2', 's3']) sampler.apply(signal({ session }));
    expect(sampler.isEscalated('s1')).toBe(false);
    expect(sampler.isEscalated('s3')).toBe(true);
    expect(sampler.stats.escalatedSessions).toBe(2);
    expect(() => new EscalationSampler({ base: neverSample, service: 'a', maxSessions: 0 })).toThrow(/maxSessions/);
  });
});

describe('EscalationSampler over NATS', () => {
  const nats = useNatsServer();

  it("listens on chainwatch.sampling.<service token> and counts what is not a signal", async () => {
    const listener = await connect({ servers: nats().url });
    const publisher = await connect({ servers: nats().url });
    clients.push(listener, publisher);
    const sampler = new EscalationSampler({ base: neverSample, service: 'billing agent.v2', connection: listener });
    samplers.push(sampler);
    expect(sampler.subject).toBe('chainwatch.sampling.billing_agent_v2');
    await listener.flush();
    publisher.publish(sampler.subject, 'not json');
    publisher.publish(sampler.subject, JSON.stringify(signal({ session: 'over-nats' })));
    await waitFor('the signal', () => sampler.isEscalated('over-nats'));
    expect(sampler.stats).toMatchObject({ signals: 1, badSignals: 1 });
  });

  it('keeps listening across a reconnect', async () => {
    const proxy = await startTcpProxy(nats().port);
    try {
      const listener = await connect({ servers: `nats://127.0.0.1:${proxy.port}`, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
      const publisher = await connect({ servers: nats().url });
      clients.push(listener, publisher);
      const sampler = new EscalationSampler({ base: neverSample, service: 'support-agent', connection: listener });
      samplers.push(sampler);
      await listener.flush();
      publisher.publish(sampler.subject, JSON.stringify(signal({ session: 'before-cut' })));
      await waitFor('the first signal', () => sampler.isEscalated('before-cut'));

      const reconnected = (async () => {
        for await (const status of listener.status()) if (status.type === 'reconnect') return;
      })();
      proxy.cut();
      await reconnected;
      await listener.flush();
      publisher.publish(sampler.subject, JSON.stringify(signal({ session: 'after-reconnect' })));
      await waitFor('a signal after the reconnect', () => sampler.isEscalated('after-reconnect'));
      expect(sampler.stats.signals).toBe(2);
    } finally {
      await proxy.close();
    }
  });
});
