import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { JSONWebKeySet, JWK } from 'jose';

export interface OrchestratorKeys {
  /** Private signing key (JWK with kid), as the orchestrator keeps it. */
  readonly privateJwk: JWK;
  /** The public key, as chainwatch's JWKS holds it. */
  readonly publicJwk: JWK;
}

/** A fresh key pair for `alg` (EdDSA or ES256), with a kid. */
export async function orchestratorKeys(alg: 'EdDSA' | 'ES256', kid: string): Promise<OrchestratorKeys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg },
  };
}

/** Writes a JWKS to a fresh temporary file; returns its path. */
export async function writeJwks(jwks: JSONWebKeySet): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'chainwatch-jwks-'));
  const file = path.join(dir, 'jwks.json');
  await writeFile(file, JSON.stringify(jwks));
  return file;
}
