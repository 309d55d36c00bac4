/** Where producers put the orchestrator's signed attestation: a span attribute of the session's root span, or a resource attribute. */
export const ATTESTATION_ATTRIBUTE = 'chainwatch.attestation';

/** The `aud` every attestation must name. */
export const ATTESTATION_AUDIENCE = 'chainwatch';

/** JWS algorithms an attestation may be signed with (`Ed25519` is jose's newer name for EdDSA over Ed25519). */
export const ATTESTATION_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'HS256'] as const;
export type AttestationAlgorithm = (typeof ATTESTATION_ALGORITHMS)[number];

/** What the orchestrator that spawned an agent session vouches for. */
export interface SessionAttestationClaims {
  /** The user the session acts for. */
  readonly sub: string;
  /** The session id the producer's spans carry (the conversation: `gen_ai.conversation.id` or `session.id`; else `mcp.session.id`). */
  readonly sid: string;
  /** The orchestrator. */
  readonly iss: string;
  readonly aud: typeof ATTESTATION_AUDIENCE;
  /** Seconds since the epoch. */
  readonly iat: number;
  readonly exp: number;
}
