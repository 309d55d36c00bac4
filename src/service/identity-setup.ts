import type { Detector } from '../detectors/detector.js';
import { createIdentityDetector } from '../detectors/identity/index.js';
import { AttestationVerifier, attestationKeys, loadJwksFile } from '../detectors/identity/index.js';

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
}

/** Loads the JWKS (a bad file stops start-up, naming it) and makes the verifier and the identity detector. */
export async function loadIdentityChecks(options: IdentityOptions): Promise<IdentityChecks> {
  const jwks = await loadJwksFile(options.jwksFile);
  return {
    verifier: new AttestationVerifier({ keys: attestationKeys(jwks), issuers: options.issuers ?? [] }),
    detector: createIdentityDetector({ ...(options.unverifiedScore !== undefined ? { unverifiedScore: options.unverifiedScore } : {}) }),
  };
}
