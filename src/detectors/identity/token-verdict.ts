/** The claims of an attestation whose signature, audience and claims checked out. */
export interface AttestedClaims {
  readonly subject: string;
  readonly sessionId: string;
  readonly issuer: string;
  /** From `nbf`, else `iat`: before this the attestation did not exist. */
  readonly validFromMs: number;
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
 * already verified; `verify` never rejects. A verified token's lifetime is judged against the time of
 * the span that carries it (`verdictAt`), not the clock: spans delivered late, from a JetStream backlog
 * or an exported file, were attested when they ran.
 */
export interface AttestationCheck {
  cached(token: string): TokenVerdict | undefined;
  verify(token: string): Promise<TokenVerdict>;
  /** Allowed skew between the orchestrator's clock and the spans', in ms. */
  readonly clockToleranceMs: number;
}

/** A verdict for a span that started at `atMs`: a verified token outside its lifetime then is rejected. */
export function verdictAt(verdict: TokenVerdict, atMs: number, toleranceMs: number): TokenVerdict {
  if (verdict.status !== 'verified') return verdict;
  const { validFromMs, expiresAtMs } = verdict.claims;
  if (atMs > expiresAtMs + toleranceMs) return { status: 'rejected', reason: 'attestation expired before the span started' };
  if (atMs < validFromMs - toleranceMs) return { status: 'rejected', reason: 'attestation issued after the span started' };
  return verdict;
}
