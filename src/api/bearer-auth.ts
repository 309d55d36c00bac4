import { createHash, timingSafeEqual } from 'node:crypto';
import { checkApiTokens } from './api-tokens.js';

/** True when an `Authorization` header value carries one of the accepted tokens. */
export type BearerCheck = (authorization: string | undefined) => boolean;

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * Compares in constant time: both sides are hashed to equal-length digests (so a token's length does
 * not leak) and every accepted token is compared, without stopping at the first match.
 */
export function createBearerCheck(tokens: readonly string[], source = 'tokens'): BearerCheck {
  const accepted = checkApiTokens(tokens, source).map(digest);
  return (authorization) => {
    const presented = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (presented === undefined) return false;
    const candidate = digest(presented);
    let matched = false;
    for (const known of accepted) matched = timingSafeEqual(known, candidate) || matched;
    return matched;
  };
}

/** The `WWW-Authenticate` challenge sent with a 401 (RFC 6750). */
export const BEARER_CHALLENGE = 'Bearer realm="chainwatch"';
