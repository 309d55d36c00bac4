import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/service-config.js';
import { startChainwatchService } from '../../src/service/chainwatch-service.js';
import type { ChainwatchService } from '../../src/service/chainwatch-service.js';
import { baseSampledTurns, runMcpAgentDemo } from '../../examples/mcp-agent/demo.js';
import type { ScenarioReport } from '../../examples/mcp-agent/demo.js';
import { DEMO_JWKS_FILE } from '../../examples/mcp-agent/orchestrator.js';
import { startNatsServer } from '../helpers/nats-server.js';
import type { TestNatsServer } from '../helpers/nats-server.js';
import { categoryChainDetector } from '../helpers/sequence-detector.js';

const TOKEN = 'test-token-0123456789abcdef';
const BASE_RATE = 0.1;

describe('the MCP agent example against a real nats-server and chainwatch', () => {
  let nats: TestNatsServer;
  let service: ChainwatchService;
  let reports: ScenarioReport[];
  const scenario = (name: string): ScenarioReport => reports.find((r) => r.name === name)!;

  async function check(body: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`http://127.0.0.1:${service.apiPort}/v1/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  async function session(id: string): Promise<any> {
    const response = await fetch(`http://127.0.0.1:${service.apiPort}/v1/sessions/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return response.json();
  }

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: true });
    const config = resolveConfig({
      natsUrl: nats.url,
      natsMode: 'jetstream',
      otlpEnabled: false,
      apiHost: '127.0.0.1',
      apiPort: 0,
      apiTokens: [TOKEN],
      useModel: false,
      defaultRules: false,
      jwksFile: DEMO_JWKS_FILE,
      preflight: { reviewAt: 0.25, denyAt: 0.95 },
    });
    service = await startChainwatchService(config, pino({ level: 'silent' }), {
      extraDetectors: [categoryChainDetector('pii_access', 'external_communication')],
    });
    reports = await runMcpAgentDemo({ natsUrl: nats.url, jetstream: true, baseRate: BASE_RATE, benignTurns: 40 });
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await nats?.stop();
  });

  it('keeps a benign session at the base sampling rate: exactly the traces the base sampler picks', () => {
    const benign = scenario('benign');
    expect(benign.turns.length).toBeGreaterThanOrEqual(40);
    expect(benign.escalatedAfterTurn).toBe(0);
    expect(benign.turns.some((t) => t.afterSignal)).toBe(false);
    expect(benign.exportedTraces).toHaveLength(baseSampledTurns(benign.turns, BASE_RATE));
    expect(benign.exportedTraces.length).toBeLessThan(benign.turns.length / 2);
    for (const turn of benign.turns) expect(benign.exportedTraces.includes(turn.traceId)).toBe(turn.sampled);
    expect(benign.verdict).toMatchObject({ trust: 'verified', escalated: false, score: 0 });
  });

  it('escalates an exfiltration session, and every trace it starts after the signal is exported', () => {
    const exfiltration = scenario('exfiltration');
    expect(exfiltration.escalatedAfterTurn).toBeGreaterThan(0);
    const after = exfiltration.turns.filter((t) => t.afterSignal);
    expect(after).toHaveLength(10);
    for (const turn of after) expect(exfiltration.exportedTraces).toContain(turn.traceId);
    expect(exfiltration.verdict).toMatchObject({ trust: 'verified', escalated: true, level: 'critical' });
  });

  it('classifies the identity of each session from its attestation', () => {
    expect(scenario('forged user').verdict).toMatchObject({ trust: 'spoofed', level: 'critical' });
    expect(scenario('no attestation').verdict).toMatchObject({ trust: 'unverified', escalated: false });
    expect(scenario('no attestation').verdict!.findings.map((f) => f.id)).toEqual(['unverified-identity']);
    expect(scenario('expired').verdict).toMatchObject({ trust: 'invalid' });
    expect(scenario('expired').verdict!.findings.find((f) => f.id === 'invalid-attestation')!.message).toMatch(/expired/);
    expect(scenario('wrong key').verdict).toMatchObject({ trust: 'invalid' });
    expect(scenario('wrong key').verdict!.findings.find((f) => f.id === 'invalid-attestation')!.message).toMatch(/signature does not verify/);
  });

  it('answers POST /v1/check by the configured thresholds and leaves the session as it was', async () => {
    const benign = scenario('benign').sessionId;
    const unverified = scenario('no attestation').sessionId;
    const forged = scenario('forged user').sessionId;
    const before = await Promise.all([benign, unverified, forged].map(session));

    expect((await check({ session: benign, tool: 'search_docs', arguments: { query: 'x' } })).body).toMatchObject({
      decision: 'allow',
      known: true,
      trust: 'verified',
      thresholds: { reviewAt: 0.25, denyAt: 0.95 },
    });
    const review = await check({ session: unverified, tool: 'search_docs' });
    expect(review.body).toMatchObject({ decision: 'review', trust: 'unverified' });
    expect(review.body.score).toBeCloseTo(0.3);
    expect((await check({ session: forged, tool: 'search_docs' })).body).toMatchObject({ decision: 'deny', trust: 'spoofed' });
    // Another send after the customer data completes the chain again: 0.9, between review and deny here.
    const send = await check({ session: scenario('exfiltration').sessionId, tool: 'post_to_slack', arguments: { channel: '#x', text: 'y' } });
    expect(send.body).toMatchObject({ decision: 'review', findings: [{ detector: 'test-chain' }] });

    expect(await Promise.all([benign, unverified, forged].map(session))).toEqual(before);
    expect((await check({ tool: 'search_docs' })).status).toBe(400);
  });
});
