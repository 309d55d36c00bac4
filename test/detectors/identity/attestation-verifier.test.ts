import { writeFile } from 'node:fs/promises';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttestationVerifier, attestationKeys, loadJwksFile, verdictAt } from '../../../src/detectors/identity/index.js';
import type { TokenVerdict } from '../../../src/detectors/identity/index.js';
import { signSessionAttestation } from '../../../src/sdk/index.js';
import { orchestratorKeys, writeJwks } from '../../helpers/attestation-keys.js';
import type { OrchestratorKeys } from '../../helpers/attestation-keys.js';

const secret = new Uint8Array(32).fill(7);
const secretJwk = { kty: 'oct', kid: 'hmac-1', alg: 'HS256', k: Buffer.from(secret).toString('base64url') };
const claims = { sub: 'alice', sid: 'session-1', iss: 'orchestrator' };

describe('AttestationVerifier', () => {
  let ed: OrchestratorKeys;
  let ec: OrchestratorKeys;
  let other: OrchestratorKeys;
  let verifier: AttestationVerifier;

  beforeAll(async () => {
    ed = await orchestratorKeys('EdDSA', 'ed-1');
    ec = await orchestratorKeys('ES256', 'ec-1');
    other = await orchestratorKeys('EdDSA', 'ed-1');
    const file = await writeJwks({ keys: [ed.publicJwk, ec.publicJwk, secretJwk] });
    verifier = new AttestationVerifier({ keys: attestationKeys(await loadJwksFile(file)) });
  });

  it.each([
    ['EdDSA', () => ed.privateJwk],
    ['ES256', () => ec.privateJwk],
    ['HS256', () => secretJwk],
  ])('verifies %s attestations signed with signSessionAttestation', async (alg, key) => {
    const token = await signSessionAttestation(claims, key());
    expect(token.split('.')).toHaveLength(3);
    const verdict = await verifier.verify(token);
    expect(verdict).toMatchObject({ status: 'verified', claims: { subject: 'alice', sessionId: 'session-1', issuer: 'orchestrator' } });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg).toBe(alg === 'EdDSA' ? 'EdDSA' : alg);
  });

  it('judges a lifetime against the time of the span that carries the token, not the clock', async () => {
    const twoHoursAgo = Math.floor(Date.now() / 1000) - 7200;
    const verdict = await verifier.verify(await signSessionAttestation({ ...claims, iat: twoHoursAgo, ttlSeconds: 60 }, ed.privateJwk));
    expect(verdict).toMatchObject({ status: 'verified', claims: { validFromMs: twoHoursAgo * 1000, expiresAtMs: (twoHoursAgo + 60) * 1000 } });
    const tolerance = verifier.clockToleranceMs;
    // A span delivered late (a JetStream backlog, an exported file) that ran while the token was valid.
    expect(verdictAt(verdict, twoHoursAgo * 1000 + 30_000, tolerance)).toBe(verdict);
    expect(verdictAt(verdict, Date.now(), tolerance)).toEqual({ status: 'rejected', reason: 'attestation expired before the span started' });
    expect(verdictAt(verdict, twoHoursAgo * 1000 - 3_600_000, tolerance)).toEqual({ status: 'rejected', reason: 'attestation issued after the span started' });
  });

  it('rejects wrongly signed, wrong-audience and malformed tokens, naming why', async () => {
    const reasons = async (token: string): Promise<TokenVerdict> => verifier.verify(token);
    // Same kid, another key: the signature does not verify.
    expect(await reasons(await signSessionAttestation(claims, other.privateJwk))).toEqual({ status: 'rejected', reason: 'signature does not verify' });
    expect(await reasons(await signSessionAttestation(claims, { ...other.privateJwk, kid: 'unknown' }))).toEqual({
      status: 'rejected',
      reason: 'signed with a key not in the JWKS',
    });
    const wrongAudience = await new SignJWT({ sid: 'session-1' })
      .setProtectedHeader({ alg: 'HS256', kid: 'hmac-1' })
      .setSubject('alice')
      .setIssuer('orchestrator')
      .setAudience('someone-else')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(secret);
    expect(await reasons(wrongAudience)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/claim check failed.*aud/) });
    const noSid = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 'hmac-1' }).setSubject('alice').setIssuer('o').setAudience('chainwatch').setIssuedAt().setExpirationTime('1h').sign(secret);
    expect(await reasons(noSid)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/sid/) });
    expect(await reasons('not-a-token')).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^not a valid attestation/) });
  });

  it('accepts only the configured issuers when given', async () => {
    const strict = new AttestationVerifier({ keys: attestationKeys({ keys: [secretJwk] }), issuers: ['orchestrator-a'] });
    const fromB = await signSessionAttestation({ ...claims, iss: 'orchestrator-b' }, secretJwk);
    const fromA = await signSessionAttestation({ ...claims, iss: 'orchestrator-a' }, secretJwk);
    expect(await strict.verify(fromB)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/iss/) });
    expect(await strict.verify(fromA)).toMatchObject({ status: 'verified' });
  });

  it('verifies a token once: concurrent checks share it, later ones hit the cache', async () => {
    const counting = new AttestationVerifier({ keys: attestationKeys({ keys: [secretJwk] }) });
    const token = await signSessionAttestation(claims, secretJwk);
    expect(counting.cached(token)).toBeUndefined();
    const [a, b] = await Promise.all([counting.verify(token), counting.verify(token)]);
    expect(a).toBe(b);
    expect(counting.cached(token)).toBe(a);
    expect(counting.counters).toMatchObject({ verified: 1, rejected: 0 });
  });

  it('checks again under the new keys a token whose check began before the keys changed', async () => {
    const withdrawn = attestationKeys({ keys: [ed.publicJwk] });
    let keys = withdrawn;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const rotating = new AttestationVerifier({
      // The first lookup waits until the key has been withdrawn, as a check in flight during a JWKS reload would.
      keys: async (header, token) => {
        const current = keys;
        if (current === withdrawn) await gate;
        return current(header, token);
      },
    });
    const token = await signSessionAttestation(claims, ed.privateJwk);
    const verdict = rotating.verify(token);
    keys = attestationKeys({ keys: [ec.publicJwk] });
    rotating.forget();
    release();
    expect(await verdict).toEqual({ status: 'rejected', reason: 'signed with a key not in the JWKS' });
    expect(rotating.cached(token)).toMatchObject({ status: 'rejected' });
  });

  it('answers unchecked, without judging, when too many verifications are in flight', async () => {
    const saturated = new AttestationVerifier({ keys: attestationKeys({ keys: [secretJwk] }), maxPending: 1 });
    const tokens = [await signSessionAttestation(claims, secretJwk), await signSessionAttestation({ ...claims, sid: 'session-2' }, secretJwk)];
    const first = saturated.verify(tokens[0]!);
    const second = await saturated.verify(tokens[1]!);
    expect(second.status).toBe('unchecked');
    expect((await first).status).toBe('verified');
    expect(saturated.counters.unchecked).toBe(1);
  });
});

describe('loadJwksFile', () => {
  it('names the file and the key at fault', async () => {
    const ed = await orchestratorKeys('EdDSA', 'ed-1');
    await expect(loadJwksFile(await writeJwks({ keys: [ed.privateJwk] }))).rejects.toThrow(/keys\[0\] holds a private key/);
    await expect(loadJwksFile(await writeJwks({ keys: [] }))).rejects.toThrow(/"keys" is empty/);
    await expect(loadJwksFile(await writeJwks({ keys: [{ kty: 'RSA', n: 'x', e: 'AQAB' }] }))).rejects.toThrow(/keys\[0\]: kty "RSA"/);
    // Keys that could verify nothing must not replace a working set on a reload.
    await expect(loadJwksFile(await writeJwks({ keys: [ed.publicJwk, { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' }] }))).rejects.toThrow(
      /keys\[1\] is not a usable EdDSA key/,
    );
    await expect(loadJwksFile(await writeJwks({ keys: [{ kty: 'EC', crv: 'P-384', x: 'AA', y: 'BB' }] }))).rejects.toThrow(/keys\[0\]: EC curve "P-384" is not supported/);
    expect((await loadJwksFile(await writeJwks({ keys: [ed.publicJwk] }))).keys).toHaveLength(1);
    const broken = await writeJwks({ keys: [] });
    await writeFile(broken, '{ not json');
    await expect(loadJwksFile(broken)).rejects.toThrow(new RegExp(`JWKS file ${broken}`));
  });
});
