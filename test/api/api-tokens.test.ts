import { describe, expect, it } from 'vitest';
import { ApiConfigError } from '../../src/api/errors.js';
import { API_TOKENS_ENV, readApiTokens } from '../../src/api/api-tokens.js';
import { createBearerCheck } from '../../src/api/bearer-auth.js';

const A = 'token-a-0123456789abcdef';
const B = 'token-b-0123456789abcdef';

describe('readApiTokens', () => {
  it('takes the environment’s comma-separated tokens over the configured ones', () => {
    expect(readApiTokens({ [API_TOKENS_ENV]: ` ${A} ,, ${B},` }, ['configured-0123456789abcdef'])).toEqual([A, B]);
  });

  it('falls back to the configured tokens when the variable is unset or blank', () => {
    expect(readApiTokens({}, [A])).toEqual([A]);
    expect(readApiTokens({ [API_TOKENS_ENV]: ' , ' }, [B])).toEqual([B]);
    expect(readApiTokens({})).toEqual([]);
  });

  it('drops duplicates', () => {
    expect(readApiTokens({ [API_TOKENS_ENV]: `${A},${A},${B}` }, [])).toEqual([A, B]);
  });

  it('names the bad entry and its source, without echoing it', () => {
    const secretish = 'has a space 0123456789';
    expect(() => readApiTokens({ [API_TOKENS_ENV]: `${A},short` }, [])).toThrow(`${API_TOKENS_ENV}[1] is too short`);
    expect(() => readApiTokens({}, [A, secretish])).toThrow(ApiConfigError);
    try {
      readApiTokens({}, [A, secretish]);
    } catch (error) {
      expect((error as Error).message).toContain('configured api tokens[1]');
      expect((error as Error).message).not.toContain(secretish);
    }
  });
});

describe('createBearerCheck', () => {
  const check = createBearerCheck([A, B]);

  it('accepts each configured token, with the scheme in any case', () => {
    expect(check(`Bearer ${A}`)).toBe(true);
    expect(check(`bearer ${B}`)).toBe(true);
    expect(check(`BEARER  ${A} `)).toBe(true);
  });

  it('refuses a missing header, another scheme, a prefix or an extension of a token', () => {
    expect(check(undefined)).toBe(false);
    expect(check('')).toBe(false);
    expect(check(`Basic ${A}`)).toBe(false);
    expect(check(`Bearer ${A.slice(0, -1)}`)).toBe(false);
    expect(check(`Bearer ${A}x`)).toBe(false);
    expect(check(`Bearer ${A} ${B}`)).toBe(false);
  });
});
