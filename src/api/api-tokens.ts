import { ApiConfigError } from './errors.js';

/** Comma-separated bearer tokens; when set and non-empty it replaces the configured tokens. */
export const API_TOKENS_ENV = 'CHAINWATCH_API_TOKENS';

/** Short tokens can be guessed; 16 characters of a random base64 string is 96 bits. */
export const MIN_TOKEN_LENGTH = 16;

/** RFC 6750 `b64token`: what may follow `Bearer ` in an Authorization header. */
const TOKEN_SYNTAX = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The API's bearer tokens: from `CHAINWATCH_API_TOKENS` when it holds any, else the configured ones.
 * The environment replaces rather than adds to the configuration, so rotating a token out through the
 * environment does not leave the configured one valid. Throws `ApiConfigError` naming the bad entry.
 */
export function readApiTokens(
  env: Readonly<Record<string, string | undefined>>,
  configured: readonly string[] = [],
): string[] {
  const fromEnv = (env[API_TOKENS_ENV] ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
  if (fromEnv.length > 0) return checkApiTokens(fromEnv, API_TOKENS_ENV);
  return checkApiTokens(configured, 'configured api tokens');
}

/**
 * Validates tokens (usable in an Authorization header, at least `MIN_TOKEN_LENGTH` long) and removes
 * duplicates. Errors name the source and position, never the token itself.
 */
export function checkApiTokens(tokens: readonly string[], source: string): string[] {
  tokens.forEach((token, index) => {
    if (!TOKEN_SYNTAX.test(token)) {
      throw new ApiConfigError(
        `${source}[${index}] is not a valid bearer token: use letters, digits and -._~+/ only (= padding at the end)`,
      );
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new ApiConfigError(
        `${source}[${index}] is too short: ${token.length} characters, at least ${MIN_TOKEN_LENGTH} needed`,
      );
    }
  });
  return [...new Set(tokens)];
}
