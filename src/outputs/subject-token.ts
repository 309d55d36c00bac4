import { createHash } from 'node:crypto';

export const UNKNOWN_SERVICE_TOKEN = 'unknown_service';
/** Long enough for any sane service name, short enough that no subject nears the protocol's line limit. */
export const MAX_SUBJECT_TOKEN_LENGTH = 128;
const HASH_SUFFIX_LENGTH = 8;

// Separators, wildcards, whitespace and every non-printable (control, format, surrogate, unassigned).
const NOT_A_TOKEN_CHARACTER = /[.*>\s\p{C}]/gu;

/**
 * `name` as one NATS subject token, e.g. a `service.name` for `chainwatch.sampling.<token>`:
 * unsafe characters become `_`, empty becomes `unknown_service`, and an over-long name is cut to
 * 128 characters ending in a hash of the whole so distinct names stay distinct.
 */
export function subjectToken(name: string): string {
  const token = name.replace(NOT_A_TOKEN_CHARACTER, '_');
  if (token === '') return UNKNOWN_SERVICE_TOKEN;
  const characters = Array.from(token);
  if (characters.length <= MAX_SUBJECT_TOKEN_LENGTH) return token;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_SUFFIX_LENGTH);
  return `${characters.slice(0, MAX_SUBJECT_TOKEN_LENGTH - HASH_SUFFIX_LENGTH - 1).join('')}_${hash}`;
}
