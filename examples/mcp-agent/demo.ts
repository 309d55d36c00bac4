import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { connect } from '@nats-io/transport-node';
import { ROOT_CONTEXT, context, propagation, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { EscalationSampler, NatsSpanExporter } from '../../src/sdk/index.js';
import type { ScoreUpdate } from '../../src/scoring/risk.js';
import { runAgentTurn } from './agent.js';
import type { AgentSession, AgentTurn } from './agent.js';
import { CountingExporter } from './counting-exporter.js';
import { Orchestrator } from './orchestrator.js';
import { createToolsServer } from './tools-server.js';

export const AGENT_SERVICE = 'support-agent';

export interface DemoOptions {
  readonly natsUrl: string;
  /** Publish spans to JetStream with acks (chainwatch in jetstream mode); core NATS otherwise. */
  readonly jetstream?: boolean;
  /** Head sampling rate of the agent's base sampler. Default 0.1. */
  readonly baseRate?: number;
  readonly benignTurns?: number;
  /** Turns run after an escalation, to show they are all traced. */
  readonly turnsAfterSignal?: number;
  /** At most this many turns to get a sampled one to chainwatch (at 10 %, 200 miss with odds 7e-10). */
  readonly maxTurns?: number;
  readonly log?: (line: string) => void;
}

export interface TurnRecord {
  readonly traceId: string;
  readonly sampled: boolean;
  /** The session was escalated at the sampler when the turn started. */
  readonly afterSignal: boolean;
}

export interface ScenarioReport {
  readonly name: string;
  readonly sessionId: string;
  readonly user: string;
  readonly attestation: string;
  readonly turns: readonly TurnRecord[];
  /** Traces of the session the exporter was given. */
  readonly exportedTraces: readonly string[];
  /** 1-based turn after which the escalation signal was in, 0 when never. */
  readonly escalatedAfterTurn: number;
  /** chainwatch's last word on the session (from `chainwatch.scores`); undefined when it never saw it. */
  readonly verdict: ScoreUpdate | undefined;
}

interface ScenarioSpec {
  readonly name: string;
  readonly user: string;
  /** The user the agent writes on its spans. */
  readonly claimedUser?: string;
  readonly attestation: string;
  readonly sign: (sessionId: string) => Promise<string>;
  readonly turn: AgentTurn;
  /** Run this many turns (the benign baseline; more if none was sampled); else run until chainwatch has seen the session. */
  readonly fixedTurns?: number;
}

const search: AgentTurn = {
  prompt: 'find the runbook for the database failover',
  steps: [{ tool: 'search_docs', arguments: { query: 'database failover runbook' } }],
};
const exfiltrate: AgentTurn = {
  prompt: 'summarize the open tickets for ACME',
  steps: [
    { tool: 'search_docs', arguments: { query: 'open tickets ACME' } },
    { tool: 'query_customer_pii', arguments: { customer: 'ACME' } },
    { tool: 'post_to_slack', arguments: { channel: '#external-partners', text: 'jane.doe@acme.test, +1 555 0100' } },
  ],
};

/**
 * The agent side, end to end: an orchestrator signs each session's attestation, an MCP client agent
 * calls an MCP server's tools, both traced with the OpenTelemetry Node SDK; the agent samples with the
 * EscalationSampler (base rate 10 %) and exports with the NatsSpanExporter to a running chainwatch.
 */
export async function runMcpAgentDemo(options: DemoOptions): Promise<ScenarioReport[]> {
  const log = options.log ?? (() => {});
  const baseRate = options.baseRate ?? 0.1;
  const maxTurns = options.maxTurns ?? 200;
  const turnsAfterSignal = options.turnsAfterSignal ?? 10;
  const nc = await connect({ servers: options.natsUrl, name: 'mcp-agent-demo', maxReconnectAttempts: -1 });
  const verdicts = new Map<string, { update: ScoreUpdate; atMs: number }>();
  nc.subscribe('chainwatch.scores', {
    callback: (_error, message) => {
      const update = message.json<ScoreUpdate>();
      verdicts.set(update.session, { update, atMs: Date.now() });
    },
  });

  const sampler = new EscalationSampler({
    base: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(baseRate) }),
    service: AGENT_SERVICE,
    connection: nc,
  });
  const counted = new CountingExporter(new NatsSpanExporter({ connection: nc, jetstream: options.jetstream === true }));
  const agentSpans = new BatchSpanProcessor(counted, { scheduledDelayMillis: 200 });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': AGENT_SERVICE }),
    sampler,
    spanProcessors: [agentSpans],
    instrumentations: [],
    // The demo sends traces only; without these the SDK would start OTLP metric and log exporters.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  const tracer = trace.getTracer('mcp-agent-demo');
  // The tool server follows the agent's decision, propagated in `_meta`: it never starts traces itself.
  const serverSpans = new BatchSpanProcessor(new NatsSpanExporter({ connection: nc, jetstream: options.jetstream === true }), {
    scheduledDelayMillis: 200,
  });
  const serverProvider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'tools-mcp' }),
    sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    spanProcessors: [serverSpans],
  });
  const server = createToolsServer(serverProvider.getTracer('tools-mcp'));
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: AGENT_SERVICE, version: '1.0.0' });
  await client.connect(clientTransport);

  const flush = async (): Promise<void> => {
    await Promise.all([agentSpans.forceFlush(), serverSpans.forceFlush()]);
  };
  /** Until chainwatch has published on the session and then been quiet for a moment (verification is async). */
  const settled = async (sessionId: string): Promise<void> => {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const seen = verdicts.get(sessionId);
      if (seen !== undefined && Date.now() - seen.atMs > 300) return;
      await sleep(25);
    }
  };
  const until = async (condition: () => boolean, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!condition() && Date.now() < deadline) await sleep(10);
    return condition();
  };

  const orchestrator = await Orchestrator.demo();
  const now = Math.floor(Date.now() / 1000);
  const stranger = new Orchestrator('demo-orchestrator', await strangerKey());
  const specs: ScenarioSpec[] = [
    { name: 'benign', user: 'alice', attestation: 'valid', sign: (sid) => orchestrator.attest('alice', sid), turn: search, fixedTurns: options.benignTurns ?? 30 },
    { name: 'exfiltration', user: 'bob', attestation: 'valid', sign: (sid) => orchestrator.attest('bob', sid), turn: exfiltrate },
    { name: 'forged user', user: 'carol', claimedUser: 'admin', attestation: 'valid (carol)', sign: (sid) => orchestrator.attest('carol', sid), turn: search },
    { name: 'no attestation', user: 'dave', attestation: 'none', sign: async () => '', turn: search },
    { name: 'expired', user: 'erin', attestation: 'expired', sign: (sid) => orchestrator.attest('erin', sid, { issuedAt: now - 7200, ttlSeconds: 600 }), turn: search },
    { name: 'wrong key', user: 'frank', attestation: 'unknown key', sign: (sid) => stranger.attest('frank', sid), turn: search },
  ];

  const reports: ScenarioReport[] = [];
  try {
    for (const spec of specs) {
      const sessionId = `${spec.name.replace(/\s+/g, '-')}-${randomUUID().slice(0, 8)}`;
      const session: AgentSession = { sessionId, claimedUser: spec.claimedUser ?? spec.user, attestation: await spec.sign(sessionId) };
      const turns: TurnRecord[] = [];
      let escalatedAfterTurn = 0;
      const turn = async (): Promise<void> => {
        const afterSignal = sampler.isEscalated(sessionId);
        turns.push({ ...(await runAgentTurn(client, tracer, session, spec.turn)), afterSignal });
      };
      if (spec.fixedTurns !== undefined) {
        // The fixed count, and on until one turn was sampled, so chainwatch has something to say.
        while (turns.length < spec.fixedTurns || (!turns.some((t) => t.sampled) && turns.length < maxTurns)) await turn();
      } else {
        // Head sampling: chainwatch sees a session only through its sampled turns.
        while (turns.length < maxTurns) {
          await turn();
          if (!turns.at(-1)!.sampled) continue;
          await flush();
          await settled(sessionId);
          break;
        }
      }
      await flush();
      await settled(sessionId);
      if (await until(() => sampler.isEscalated(sessionId), 1_000)) {
        escalatedAfterTurn = turns.length;
        for (let i = 0; i < turnsAfterSignal; i++) await turn();
        await flush();
        await settled(sessionId);
      }
      const report: ScenarioReport = {
        name: spec.name,
        sessionId,
        user: spec.user,
        attestation: spec.attestation,
        turns,
        exportedTraces: turns.filter((t) => counted.spansByTrace.has(t.traceId)).map((t) => t.traceId),
        escalatedAfterTurn,
        verdict: verdicts.get(sessionId)?.update,
      };
      reports.push(report);
      log(formatScenario(report, baseRate));
    }
  } finally {
    await flush();
    await client.close();
    await sdk.shutdown();
    // The SDK registered the global tracer provider, context manager and propagator: leave none behind.
    trace.disable();
    context.disable();
    propagation.disable();
    await serverProvider.shutdown();
    await sampler.close();
    await nc.drain();
  }
  return reports;
}

/** How many of the turns the base sampler alone would have traced: the rate a session without escalation keeps. */
export function baseSampledTurns(turns: readonly TurnRecord[], baseRate: number): number {
  const base = new TraceIdRatioBasedSampler(baseRate);
  return turns.filter((t) => base.shouldSample(ROOT_CONTEXT, t.traceId).decision === SamplingDecision.RECORD_AND_SAMPLED).length;
}

export const REPORT_HEADER =
  'scenario        user   attestation     turns  traced  base alone  escalated    after signal  trust       risk';

export function formatScenario(report: ScenarioReport, baseRate: number): string {
  const after = report.turns.filter((t) => t.afterSignal);
  const afterTraced = after.filter((t) => report.exportedTraces.includes(t.traceId)).length;
  const verdict = report.verdict;
  return [
    report.name.padEnd(15),
    report.user.padEnd(6),
    report.attestation.padEnd(15),
    String(report.turns.length).padStart(5),
    String(report.exportedTraces.length).padStart(7),
    String(baseSampledTurns(report.turns, baseRate)).padStart(11),
    (report.escalatedAfterTurn > 0 ? `after ${report.escalatedAfterTurn}` : 'no').padStart(11),
    (after.length > 0 ? `${afterTraced}/${after.length} traced` : '-').padStart(15),
    (verdict?.trust ?? 'not seen').padStart(10),
    verdict === undefined ? '' : `  ${verdict.score.toFixed(2)} ${verdict.level}`,
  ].join(' ');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A key chainwatch has never seen, with the demo key's kid: a forgery. */
async function strangerKey(): Promise<import('jose').JWK> {
  const { exportJWK, generateKeyPair } = await import('jose');
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { ...(await exportJWK(privateKey)), kid: 'demo-orchestrator-1', alg: 'EdDSA' };
}
