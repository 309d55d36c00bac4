import { LRUCache } from 'lru-cache';
import { decodeJwt, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { TEXT_LIMITS } from '../../normalize/bounded-text.js';
import { ATTESTATION_ALGORITHMS, ATTESTATION_AUDIENCE } from './attestation-claims.js';
import type { AttestationCheck, TokenVerdict } from './token-verdict.js';

export interface AttestationVerifierOptions {
  readonly keys: JWTVerifyGetKey;
  /** Accepted `iss` values; empty accepts any issuer whose key is in the set. */
  readonly issuers?: readonly string[];
  /** Default 30 s. */
  readonly clockToleranceSeconds?: number;
  /** Verdicts kept, keyed by token. Default 10,000. */
  readonly maxCached?: number;
  /** Verifications in flight; beyond it tokens are answered `unchecked`. Default 1,000. */
  readonly maxPending?: number;
  readonly clock?: () => number;
}

export interface AttestationVerifierCounters {
  verified: number;
  rejected: number;
  unchecked: number;
  cacheHits: number;
}

/** Longer than any compact JWS over these claims (and than the normalizer keeps): not worth the crypto. */
const MAX_TOKEN_LENGTH = TEXT_LIMITS.attestation;
const REJECTED_TTL_MS = 10 * 60 * 1000;
const VERIFIED_TTL_MS = 60 * 60 * 1000;
/** Checks of one token against keys that changed while it was checked, before it is left unchecked. */
const MAX_KEY_CHANGES_PER_CHECK = 3;

/**
 * Verifies attestations (compact JWS, see `SessionAttestationClaims`) once per token: verdicts are
 * cached until the token expires (a rejection for ten minutes), concurrent checks of one token share
 * one verification, and both maps are bounded. Never rejects; failures are verdicts.
 */
export class AttestationVerifier implements AttestationCheck {
  readonly counters: AttestationVerifierCounters = { verified: 0, rejected: 0, unchecked: 0, cacheHits: 0 };
  private readonly verdicts: LRUCache<string, TokenVerdict>;
  private readonly pending = new Map<string, Promise<TokenVerdict>>();
  private readonly clock: () => number;
  private readonly maxPending: number;
  /** Bumped by `forget`: a check that began under other keys is done again. */
  private keysEpoch = 0;

  constructor(private readonly options: AttestationVerifierOptions) {
    this.clock = options.clock ?? Date.now;
    this.maxPending = options.maxPending ?? 1_000;
    this.verdicts = new LRUCache({ max: options.maxCached ?? 10_000, ttlAutopurge: false });
  }

  /**
   * Drops every remembered verdict: after the keys changed, tokens are checked again against the new
   * ones, and so are the checks under way (a withdrawn key must not verify what it was verifying).
   */
  forget(): void {
    this.keysEpoch++;
    this.verdicts.clear();
  }

  get clockToleranceMs(): number {
    return (this.options.clockToleranceSeconds ?? 30) * 1000;
  }

  cached(token: string): TokenVerdict | undefined {
    const verdict = this.verdicts.get(token);
    if (verdict !== undefined) this.counters.cacheHits++;
    return verdict;
  }

  verify(token: string): Promise<TokenVerdict> {
    const known = this.cached(token);
    if (known !== undefined) return Promise.resolve(known);
    const inFlight = this.pending.get(token);
    if (inFlight !== undefined) return inFlight;
    if (this.pending.size >= this.maxPending) {
      this.counters.unchecked++;
      return Promise.resolve({ status: 'unchecked', reason: `more than ${this.maxPending} attestations awaiting verification` });
    }
    const verification = this.checkUnderCurrentKeys(token).then((verdict) => {
      this.pending.delete(token);
      this.remember(token, verdict);
      return verdict;
    });
    this.pending.set(token, verification);
    return verification;
  }

  private remember(token: string, verdict: TokenVerdict): void {
    if (verdict.status === 'verified') {
      this.counters.verified++;
      // Judged against each span's time, a verified token stays so; the cache is bounded and cleared on key changes.
      this.verdicts.set(token, verdict, { ttl: VERIFIED_TTL_MS });
    } else if (verdict.status === 'rejected') {
      this.counters.rejected++;
      this.verdicts.set(token, verdict, { ttl: REJECTED_TTL_MS });
    }
  }

  private async checkUnderCurrentKeys(token: string): Promise<TokenVerdict> {
    for (let attempt = 0; attempt < MAX_KEY_CHANGES_PER_CHECK; attempt++) {
      const epoch = this.keysEpoch;
      const verdict = await this.check(token);
      if (epoch === this.keysEpoch) return verdict;
    }
    return { status: 'unchecked', reason: 'the keys kept changing while the attestation was checked' };
  }

  private async check(token: string): Promise<TokenVerdict> {
    if (token.length > MAX_TOKEN_LENGTH) return { status: 'rejected', reason: `token longer than ${MAX_TOKEN_LENGTH} characters` };
    const issuers = this.options.issuers ?? [];
    try {
      // Lifetime is judged per span (`verdictAt`): verify as of the token's own issue time.
      const issuedAt = decodeJwt(token).iat;
      const { payload } = await jwtVerify(token, this.options.keys, {
        audience: ATTESTATION_AUDIENCE,
        algorithms: [...ATTESTATION_ALGORITHMS],
        ...(issuers.length > 0 ? { issuer: [...issuers] } : {}),
        clockTolerance: this.clockToleranceMs / 1000,
        currentDate: new Date(typeof issuedAt === 'number' && Number.isFinite(issuedAt) ? issuedAt * 1000 : this.clock()),
        requiredClaims: ['sub', 'sid', 'iss', 'iat', 'exp'],
      });
      if (typeof payload.sid !== 'string' || payload.sid === '') return { status: 'rejected', reason: 'claim "sid" is not a session id' };
      if (typeof payload.sub !== 'string' || payload.sub === '') return { status: 'rejected', reason: 'claim "sub" is not a user id' };
      return {
        status: 'verified',
        claims: {
          subject: payload.sub,
          sessionId: payload.sid,
          issuer: payload.iss ?? '',
          validFromMs: (payload.nbf ?? payload.iat ?? 0) * 1000,
          expiresAtMs: (payload.exp ?? 0) * 1000,
        },
      };
    } catch (error) {
      return { status: 'rejected', reason: rejectionReason(error) };
    }
  }
}

function rejectionReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'attestation expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature does not verify';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'signed with a key not in the JWKS';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `claim check failed: ${message}`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return `algorithm not allowed (${ATTESTATION_ALGORITHMS.join(', ')})`;
    default:
      return `not a valid attestation: ${message}`;
  }
}
