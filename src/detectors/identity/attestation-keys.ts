import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, errors, importJWK } from 'jose';
import type { JSONWebKeySet, JWK, JWTVerifyGetKey } from 'jose';

/** A JWKS file that cannot be used, named with what is wrong and where. */
export class JwksFileError extends Error {
  override readonly name = 'JwksFileError';
}

/**
 * The keys attestations are checked against. Public keys (OKP Ed25519, EC P-256) go through jose's
 * local JWKS; `oct` secrets for HS256, which jose's JWKS does not serve, are matched here by `kid`.
 */
export function attestationKeys(jwks: JSONWebKeySet): JWTVerifyGetKey {
  const secrets = jwks.keys.filter((key) => key.kty === 'oct');
  const asymmetric = createLocalJWKSet({ keys: jwks.keys.filter((key) => key.kty !== 'oct') });
  const imported = new Map<JWK, ReturnType<typeof importJWK>>();
  return async (header, token) => {
    if (header.alg !== 'HS256') return asymmetric(header, token);
    const matching = secrets.filter(
      (key) => (header.kid === undefined || key.kid === header.kid) && (key.alg === undefined || key.alg === 'HS256'),
    );
    if (matching.length === 0) throw new errors.JWKSNoMatchingKey();
    if (matching.length > 1) throw new errors.JWKSMultipleMatchingKeys();
    const key = matching[0]!;
    let pending = imported.get(key);
    if (pending === undefined) {
      pending = importJWK(key, 'HS256');
      imported.set(key, pending);
    }
    return pending;
  };
}

/** Reads and checks a JWKS file (at start, and on each reload): every key must be usable for verification. */
export async function loadJwksFile(path: string): Promise<JSONWebKeySet> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new JwksFileError(`JWKS file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const jwks = checkJwks(parsed, path);
  await importEveryKey(jwks, path);
  return jwks;
}

/** The algorithm each accepted key type and curve verifies. */
const KEY_ALGORITHMS: Readonly<Record<string, string>> = { 'OKP/Ed25519': 'EdDSA', 'EC/P-256': 'ES256', oct: 'HS256' };

/**
 * Imports every key as verification would: keys are otherwise imported at the first token, so a file of
 * keys that cannot verify anything (no `x`, another curve) would replace a working set.
 */
async function importEveryKey(jwks: JSONWebKeySet, where: string): Promise<void> {
  for (const [index, key] of jwks.keys.entries()) {
    const type = key.kty === 'oct' ? 'oct' : `${key.kty}/${String(key.crv)}`;
    const alg = KEY_ALGORITHMS[type];
    const at = `JWKS ${where}: keys[${index}]`;
    if (alg === undefined) throw new JwksFileError(`${at}: ${key.kty} curve ${JSON.stringify(key.crv)} is not supported (OKP Ed25519 or EC P-256)`);
    if (key.alg !== undefined && key.alg !== alg) throw new JwksFileError(`${at}: alg ${key.alg} does not fit a ${type} key (${alg})`);
    try {
      await importJWK(key, alg);
    } catch (error) {
      throw new JwksFileError(`${at} is not a usable ${alg} key: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

export function checkJwks(value: unknown, where: string): JSONWebKeySet {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) {
    throw new JwksFileError(`JWKS ${where}: expected an object {"keys": [...]}`);
  }
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length === 0) throw new JwksFileError(`JWKS ${where}: "keys" is empty`);
  keys.forEach((key, index) => {
    const at = `JWKS ${where}: keys[${index}]`;
    if (typeof key !== 'object' || key === null) throw new JwksFileError(`${at} is not an object`);
    const { kty, d, k } = key as { kty?: unknown; d?: unknown; k?: unknown };
    if (kty !== 'OKP' && kty !== 'EC' && kty !== 'oct') {
      throw new JwksFileError(`${at}: kty ${JSON.stringify(kty)} is not OKP (Ed25519), EC (P-256) or oct (HS256)`);
    }
    if (kty !== 'oct' && d !== undefined) throw new JwksFileError(`${at} holds a private key ("d"): give chainwatch only public keys`);
    if (kty === 'oct' && typeof k !== 'string') throw new JwksFileError(`${at}: an oct key needs its secret in "k"`);
  });
  return value as JSONWebKeySet;
}
