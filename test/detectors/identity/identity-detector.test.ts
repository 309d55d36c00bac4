import { describe, expect, it } from 'vitest';
import type { Detector } from '../../../src/detectors/detector.js';
import { AttestationVerifier, attestationKeys, createIdentityDetector } from '../../../src/detectors/identity/index.js';
import { EscalationPolicy } from '../../../src/scoring/escalation-policy.js';
import { signSessionAttestation } from '../../../src/sdk/index.js';
import { sessionRootEvent, toolCallEvent } from '../../helpers/normalized-events.js';
import type { RecordingSink } from '../../helpers/recording-sink.js';
import { testScoringStage } from '../../helpers/scoring-stage.js';

const secretJwk = { kty: 'oct', kid: 'k1', alg: 'HS256', k: Buffer.from(new Uint8Array(32).fill(3)).toString('base64url') };
const ESCALATE_AT = 0.6;

/** Evidence of a fixed strength on every `run_python` call. */
function fixedEvidence(score: number): Detector<null> {
  return {
    id: 'fixed',
    async preload() {},
    createState: () => null,
    observe: ({ call }) =>
      call.event.tool === 'run_python'
        ? [{ detector: 'fixed', id: 'code', severity: 'medium', score, message: 'code ran', callIndex: call.index, spanIds: [call.event.spanId] }]
        : [],
    async shutdown() {},
  };
}

function stage(evidence = 0) {
  const { scoring, sink, store } = testScoringStage([createIdentityDetector(), fixedEvidence(evidence)], {
    policy: new EscalationPolicy({ escalateAt: ESCALATE_AT, releaseBelow: 0.4, ttlSeconds: 100, renewBeforeSeconds: 20 }),
    limits: { maxCalls: 16, maxTraceIds: 4, maxFindings: 16 },
    attestations: new AttestationVerifier({ keys: attestationKeys({ keys: [secretJwk] }) }),
  });
  return { sink, scoring, store };
}

/** Issued when the fixture sessions start (their spans' times): a lifetime is judged against the span's time. */
const ISSUED_AT = 1_700_000_000 - 1;
const attest = (overrides: { sub?: string; sid?: string; iat?: number; ttlSeconds?: number } = {}): Promise<string> =>
  signSessionAttestation({ sub: 'alice', sid: 'session-1', iss: 'orchestrator', iat: ISSUED_AT, ...overrides }, secretJwk);

const findingIds = (sink: RecordingSink): string[] => sink.scores.at(-1)!.findings.map((f) => `${f.detector}/${f.id}`);

describe('identity detector in the scoring stage', () => {
  it('binds a session to its attested user: verified, no identity evidence', async () => {
    const { sink, scoring, store } = stage();
    scoring.consume([toolCallEvent({ userId: 'alice' })]);
    expect(sink.scores.at(-1)).toMatchObject({ trust: 'unverified' });
    scoring.consume([sessionRootEvent({ attestation: await attest() })]);
    await scoring.settled();
    expect(store.peek('session-1')!.trust).toBe('verified');
    expect(sink.scores.at(-1)).toMatchObject({ trust: 'verified', score: 0 });
    expect(findingIds(sink)).toEqual([]);
  });

  it('verifies a turn from the attestation its tool spans carry, before the root span arrives', async () => {
    const { sink, scoring, store } = stage(0.45);
    const token = await attest();
    scoring.consume([toolCallEvent({ tool: 'search_docs', attestation: token })]);
    await scoring.settled();
    expect(store.peek('session-1')!.trust).toBe('verified');
    // Evidence short of escalateAt: a verified session is not escalated (an unverified one would be).
    scoring.consume([toolCallEvent({ tool: 'run_python', attestation: token, startTimeMs: 1_700_000_001_000 })]);
    expect(sink.scores.at(-1)).toMatchObject({ trust: 'verified', escalated: false });
    expect(sink.scores.at(-1)!.score).toBeCloseTo(0.45);
    scoring.consume([sessionRootEvent({ attestation: token })]);
    await scoring.settled();
    expect(sink.scores.at(-1)).toMatchObject({ trust: 'verified', escalated: false });
    expect(findingIds(sink)).toEqual(['fixed/code']);
  });

  it('leaves an attestation on a span filed under its MCP transport session to the conversation it names', async () => {
    const { scoring, store } = stage();
    const token = await attest();
    const traceId = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
    scoring.consume([toolCallEvent({ sessionId: 'mcp-1', sessionKey: 'transport', traceId, attestation: token })]);
    await scoring.settled();
    // Its sid names the conversation, not the transport session: no verdict yet, and no false "invalid".
    expect(store.peek('mcp-1')!.trust).toBe('unverified');
    scoring.consume([sessionRootEvent({ traceId, attestation: token })]);
    await scoring.settled();
    expect(store.peek('mcp-1')).toBeUndefined();
    expect(store.peek('session-1')).toMatchObject({ trust: 'verified', calls: [expect.anything()] });
  });

  it('treats a session without attestation as unverified: a low finding, no alert', () => {
    const { sink, scoring } = stage();
    scoring.consume([toolCallEvent(), sessionRootEvent()]);
    const last = sink.scores.at(-1)!;
    expect(last.trust).toBe('unverified');
    expect(findingIds(sink)).toEqual(['identity/unverified-identity']);
    expect(last.score).toBeCloseTo(0.3);
    expect(sink.alerts).toEqual([]);
  });

  it.each([
    ['expired', () => attest({ iat: ISSUED_AT - 7200, ttlSeconds: 60 }), /expired/],
    ['issued after the span', () => attest({ iat: ISSUED_AT + 3600 }), /issued after the span started/],
    ['for another session', () => attest({ sid: 'session-2' }), /for session 'session-2'/],
    ['wrongly signed', async () => `${(await attest()).slice(0, -4)}AAAA`, /signature/],
  ])('marks an attestation %s invalid: a high finding and an alert with the trust', async (_what, token, reason) => {
    const { sink, scoring } = stage();
    scoring.consume([toolCallEvent(), sessionRootEvent({ attestation: await token() })]);
    await scoring.settled();
    expect(sink.scores.at(-1)!.trust).toBe('invalid');
    expect(findingIds(sink)).toEqual(['identity/invalid-attestation']);
    expect(sink.alerts.at(-1)).toMatchObject({ trust: 'invalid', severity: 'high', finding: { message: expect.stringMatching(reason) } });
  });

  it('marks a session spoofed when a call claims another user than the attested one, before or after the root', async () => {
    const before = stage();
    before.scoring.consume([toolCallEvent({ userId: 'mallory', tool: 'get_salary' })]);
    before.scoring.consume([sessionRootEvent({ attestation: await attest(), userId: 'alice' })]);
    await before.scoring.settled();
    const after = stage();
    after.scoring.consume([sessionRootEvent({ attestation: await attest(), userId: 'alice' })]);
    await after.scoring.settled();
    after.scoring.consume([toolCallEvent({ userId: 'mallory', tool: 'get_salary', startTimeMs: 1_700_000_001_000 })]);
    for (const { sink } of [before, after]) {
      expect(sink.scores.at(-1)!.trust).toBe('spoofed');
      expect(sink.alerts.at(-1)).toMatchObject({
        trust: 'spoofed',
        severity: 'critical',
        finding: { id: 'spoofed-user', message: "call get_salary claims user 'mallory'; the attestation binds 'alice'" },
      });
      expect(sink.signals).toHaveLength(1);
    }
  });

  it('marks a session spoofed when its root claims another user', async () => {
    const { sink, scoring } = stage();
    scoring.consume([toolCallEvent({ userId: '' }), sessionRootEvent({ attestation: await attest(), userId: 'admin' })]);
    await scoring.settled();
    expect(sink.scores.at(-1)!.trust).toBe('spoofed');
    expect(sink.alerts.at(-1)!.finding.message).toMatch(/claims user 'admin'; the attestation binds 'alice'/);
  });

  it('escalates unverified sessions sooner: evidence short of escalateAt escalates them, not verified ones', async () => {
    // 0.45 alone is below escalateAt 0.6; with the unverified finding (0.3): 1 - 0.55 * 0.7 = 0.615.
    const verified = stage(0.45);
    verified.scoring.consume([sessionRootEvent({ attestation: await attest() })]);
    await verified.scoring.settled();
    verified.scoring.consume([toolCallEvent({ tool: 'run_python', startTimeMs: 1_700_000_001_000 })]);
    const unverified = stage(0.45);
    unverified.scoring.consume([sessionRootEvent(), toolCallEvent({ tool: 'run_python', startTimeMs: 1_700_000_001_000 })]);

    expect(verified.sink.scores.at(-1)).toMatchObject({ trust: 'verified', escalated: false });
    expect(verified.sink.scores.at(-1)!.score).toBeCloseTo(0.45);
    expect(verified.sink.signals).toEqual([]);
    expect(unverified.sink.scores.at(-1)).toMatchObject({ trust: 'unverified', escalated: true });
    expect(unverified.sink.scores.at(-1)!.score).toBeGreaterThanOrEqual(ESCALATE_AT);
    expect(unverified.sink.signals).toHaveLength(1);
  });

  it('judges a forged attestation that came while the verifier was saturated, on a later tick', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const keys = attestationKeys({ keys: [secretJwk] });
    // One check at a time, and the first is held: every other attestation meanwhile is answered unchecked.
    const verifier = new AttestationVerifier({
      keys: async (header, token) => {
        await gate;
        return keys(header, token);
      },
      maxPending: 1,
    });
    const { scoring, store, sink } = testScoringStage([createIdentityDetector()], { attestations: verifier });
    const forged = await signSessionAttestation({ sub: 'alice', sid: 'session-2', iss: 'orchestrator' }, { ...secretJwk, k: Buffer.alloc(32, 9).toString('base64url') });
    scoring.consume([sessionRootEvent({ sessionId: 'session-1', attestation: await attest() })]);
    scoring.consume([sessionRootEvent({ sessionId: 'session-2', attestation: forged })]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(store.peek('session-2')!.trust).toBe('unverified');
    expect(scoring.counters.attestationsUnchecked).toBe(1);
    release();
    await scoring.settled();
    scoring.tick();
    await scoring.settled();
    expect(store.peek('session-1')!.trust).toBe('verified');
    expect(store.peek('session-2')!.trust).toBe('invalid');
    expect(sink.alerts.map((alert) => [alert.session, alert.finding.id])).toContainEqual(['session-2', 'invalid-attestation']);
  });

  it('rejects an unverified score outside [0, 1)', () => {
    expect(() => createIdentityDetector({ unverifiedScore: 1 })).toThrow(/unverifiedScore 1/);
  });
});
