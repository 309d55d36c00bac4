/** The claims of an attestation whose signature, audience and lifetime checked out. */
export interface AttestedClaims {
  readonly subject: string;
  readonly sessionId: string;
  readonly issuer: string;
  readonly expiresAtMs: number;
}

/**
 * What verifying one attestation token said. `unchecked` is not a judgement (the verifier was
 * saturated): the session keeps the trust it had.
 */
export type TokenVerdict =
  | { readonly status: 'verified'; readonly claims: AttestedClaims }
  | { readonly status: 'rejected'; readonly reason: string }
  | { readonly status: 'unchecked'; readonly reason: string };

/**
 * The seam between the sync scoring path and async verification: `cached` answers at once for a token
 * already verified; `verify` never rejects.
 */
export interface AttestationCheck {
  cached(token: string): TokenVerdict | undefined;
  verify(token: string): Promise<TokenVerdict>;
}
