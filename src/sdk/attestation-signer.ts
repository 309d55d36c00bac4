import type { KeyObject } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { JWK } from 'jose';
import { ATTESTATION_ALGORITHMS, ATTESTATION_AUDIENCE } from '../detectors/identity/attestation-claims.js';
import type { AttestationAlgorithm } from '../detectors/identity/attestation-claims.js';

/** What the orchestrator vouches for when it spawns an agent session. */
export interface SessionAttestationInput {
  /** The user the session acts for. */
  readonly sub: string;
  /** The session id the agent's spans will carry. */
  readonly sid: string;
  /** The orchestrator's name, as chainwatch's `--attestation-issuer` expects it. */
  readonly iss: string;
  /** Lifetime from `iat`. Default 3600 s: sign a fresh one for longer sessions. */
  readonly ttlSeconds?: number;
  /** Issue time in seconds since the epoch. Default now. */
  readonly iat?: number;
}

export interface SignOptions {
  /** Default: from the key (OKP Ed25519 → EdDSA, EC P-256 → ES256, secret → HS256). */
  readonly alg?: AttestationAlgorithm;
  /** Key id, so chainwatch picks the key from its JWKS. Default: the JWK's `kid`. */
  readonly kid?: string;
}

export type AttestationSigningKey = JWK | KeyObject | Uint8Array | { readonly type: string; readonly algorithm: { readonly name: string } };

/**
 * Signs a session attestation as a compact JWS for the `chainwatch.attestation` attribute of the
 * session's root span (or the producer's resource). Keep the key in the orchestrator, never in the agent.
 */
export async function signSessionAttestation(
  claims: SessionAttestationInput,
  key: AttestationSigningKey,
  options: SignOptions = {},
): Promise<string> {
  if (claims.sub === '' || claims.sid === '' || claims.iss === '') {
    throw new Error('signSessionAttestation: sub, sid and iss must not be empty');
  }
  const alg = options.alg ?? algorithmOf(key);
  if (!ATTESTATION_ALGORITHMS.includes(alg)) throw new Error(`signSessionAttestation: alg ${alg} is not one of ${ATTESTATION_ALGORITHMS.join(', ')}`);
  const iat = claims.iat ?? Math.floor(Date.now() / 1000);
  const kid = options.kid ?? (isJwk(key) ? key.kid : undefined);
  const signingKey = isJwk(key) ? await importJWK(key, alg) : (key as KeyObject | Uint8Array);
  return new SignJWT({ sid: claims.sid })
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid !== undefined ? { kid } : {}) })
    .setSubject(claims.sub)
    .setIssuer(claims.iss)
    .setAudience(ATTESTATION_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (claims.ttlSeconds ?? 3600))
    .sign(signingKey);
}

function isJwk(key: AttestationSigningKey): key is JWK {
  return !(key instanceof Uint8Array) && typeof (key as JWK).kty === 'string';
}

function algorithmOf(key: AttestationSigningKey): AttestationAlgorithm {
  if (key instanceof Uint8Array) return 'HS256';
  if (isJwk(key)) {
    if (key.kty === 'OKP') return 'EdDSA';
    if (key.kty === 'EC') return 'ES256';
    if (key.kty === 'oct') return 'HS256';
  } else if ('asymmetricKeyType' in key || 'symmetricKeySize' in key) {
    const nodeKey = key as KeyObject;
    if (nodeKey.type === 'secret') return 'HS256';
    if (nodeKey.asymmetricKeyType === 'ed25519') return 'EdDSA';
    if (nodeKey.asymmetricKeyType === 'ec') return 'ES256';
  } else {
    const name = (key as { algorithm: { name: string } }).algorithm.name;
    if (name === 'Ed25519') return 'EdDSA';
    if (name === 'ECDSA') return 'ES256';
    if (name === 'HMAC') return 'HS256';
  }
  throw new Error('signSessionAttestation: cannot tell the algorithm from the key: pass options.alg');
}
