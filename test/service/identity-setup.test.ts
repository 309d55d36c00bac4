import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { signSessionAttestation } from '../../src/sdk/index.js';
import { loadIdentityChecks } from '../../src/service/identity-setup.js';
import type { IdentityChecks } from '../../src/service/identity-setup.js';
import { orchestratorKeys, writeJwks } from '../helpers/attestation-keys.js';
import { waitFor } from '../helpers/wait-for.js';

const opened: IdentityChecks[] = [];
afterEach(async () => {
  for (const identity of opened.splice(0)) {
    await identity.keyRing.close();
    await rm(path.dirname(identity.keyRing.path), { recursive: true, force: true });
  }
});

/** Replaces the file the way an editor or a config manager does: write aside, rename over. */
async function replaceJwks(file: string, keys: readonly JWK[] | string): Promise<void> {
  const aside = `${file}.tmp`;
  await writeFile(aside, typeof keys === 'string' ? keys : JSON.stringify({ keys }));
  await rename(aside, file);
}

describe('JWKS reload (key rotation without a restart)', () => {
  it('takes a rotated key, withdraws a removed one, and keeps the running keys when the new file is bad', async () => {
    const [oldKey, newKey] = await Promise.all([orchestratorKeys('EdDSA', 'old'), orchestratorKeys('ES256', 'new')]);
    const file = await writeJwks({ keys: [oldKey.publicJwk] });
    const identity = await loadIdentityChecks({ jwksFile: file });
    opened.push(identity);
    const { verifier, keyRing } = identity;
    const outcomes: string[] = [];
    keyRing.onReload((outcome) => outcomes.push(outcome.ok ? `ok ${outcome.keys}` : `rejected: ${outcome.error}`));
    await keyRing.watch(20);
    const claims = { sub: 'alice', sid: 's-1', iss: 'orchestrator' };
    const byOld = await signSessionAttestation(claims, oldKey.privateJwk);
    const byNew = await signSessionAttestation(claims, newKey.privateJwk);

    expect(await verifier.verify(byOld)).toMatchObject({ status: 'verified' });
    expect(await verifier.verify(byNew)).toEqual({ status: 'rejected', reason: 'signed with a key not in the JWKS' });

    // Rotation step 1: both keys. The remembered rejection of the new key's token is dropped.
    await replaceJwks(file, [oldKey.publicJwk, newKey.publicJwk]);
    await waitFor('the JWKS with two keys', () => keyRing.size === 2);
    expect(await verifier.verify(byNew)).toMatchObject({ status: 'verified', claims: { subject: 'alice' } });

    // A broken file is reported and changes nothing.
    await replaceJwks(file, '{"keys": [');
    await waitFor('the broken JWKS reported', () => outcomes.some((o) => o.startsWith('rejected')));
    expect(outcomes.at(-1)).toMatch(/^rejected: JWKS file .*jwks\.json: /);
    expect(keyRing.size).toBe(2);
    expect(await verifier.verify(byOld)).toMatchObject({ status: 'verified' });

    // Step 2: the old key is withdrawn; a token it signed, verified before, no longer is.
    await replaceJwks(file, [newKey.publicJwk]);
    await waitFor('the JWKS with the new key only', () => keyRing.size === 1);
    expect(await verifier.verify(byOld)).toEqual({ status: 'rejected', reason: 'signed with a key not in the JWKS' });
    expect(await verifier.verify(byNew)).toMatchObject({ status: 'verified' });
    expect(outcomes.filter((o) => o.startsWith('ok'))).toEqual(['ok 2', 'ok 1']);
  });

  it('refuses to start on a JWKS holding a private key, naming the file and the key', async () => {
    const key = await orchestratorKeys('EdDSA', 'k');
    const file = await writeJwks({ keys: [key.privateJwk] });
    await expect(loadIdentityChecks({ jwksFile: file })).rejects.toThrow(/jwks\.json: keys\[0\] holds a private key/);
    await rm(path.dirname(file), { recursive: true, force: true });
  });
});
