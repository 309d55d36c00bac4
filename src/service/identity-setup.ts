import type { Detector } from '../detectors/detector.js';
import { createIdentityDetector } from '../detectors/identity/index.js';
import { AttestationVerifier, JwksKeyRing } from '../detectors/identity/index.js';

/** Attestation checking: what `serve --jwks FILE` turns on. */
export interface IdentityOptions {
  /** JWKS of the orchestrators' public keys (and HS256 secrets, as `oct` keys). */
  readonly jwksFile: string;
  /** Accepted `iss` values; empty accepts any issuer whose key is in the JWKS. */
  readonly issuers?: readonly string[];
  /** See `IdentityDetectorOptions.unverifiedScore`. */
  readonly unverifiedScore?: number;
}

export interface IdentityChecks {
  readonly verifier: AttestationVerifier;
  readonly detector: Detector;
  /** The JWKS as loaded; `watch()` it to take rotated keys without a restart. */
  readonly keyRing: JwksKeyRing;
}

/**
 * Loads the JWKS (a bad file stops start-up, naming it) and makes the verifier and the identity
 * detector. A reloaded JWKS clears the verifier's remembered verdicts, so a withdrawn key stops
 * verifying at once; sessions already verified keep their trust.
 */
export async function loadIdentityChecks(options: IdentityOptions): Promise<IdentityChecks> {
  const keyRing = await JwksKeyRing.load(options.jwksFile);
  const verifier = new AttestationVerifier({ keys: keyRing.keys, issuers: options.issuers ?? [] });
  keyRing.onReload((outcome) => {
    if (outcome.ok) verifier.forget();
  });
  return {
    verifier,
    keyRing,
    detector: createIdentityDetector({ ...(options.unverifiedScore !== undefined ? { unverifiedScore: options.unverifiedScore } : {}) }),
  };
}
