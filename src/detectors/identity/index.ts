export type { IdentityDetectorOptions } from './identity-detector.js';
export { createIdentityDetector, IDENTITY_DETECTOR_ID } from './identity-detector.js';
export type { AttestationAlgorithm, SessionAttestationClaims } from './attestation-claims.js';
export { ATTESTATION_ALGORITHMS, ATTESTATION_ATTRIBUTE, ATTESTATION_AUDIENCE } from './attestation-claims.js';
export { attestationKeys, checkJwks, JwksFileError, loadJwksFile } from './attestation-keys.js';
export type { AttestationVerifierCounters, AttestationVerifierOptions } from './attestation-verifier.js';
export { AttestationVerifier } from './attestation-verifier.js';
export type { AttestationCheck, AttestedClaims, TokenVerdict } from './token-verdict.js';
