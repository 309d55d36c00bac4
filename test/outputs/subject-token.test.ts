import { describe, expect, it } from 'vitest';
import { MAX_SUBJECT_TOKEN_LENGTH, subjectToken, UNKNOWN_SERVICE_TOKEN } from '../../src/outputs/subject-token.js';

const TOKEN = /^[^\s.*>]+$/u;

describe('subjectToken', () => {
  it('keeps a plain service name', () => {
    expect(subjectToken('checkout-api')).toBe('checkout-api');
    expect(subjectToken('Agent_42')).toBe('Agent_42');
  });

  it('replaces separators, wildcards and whitespace one for one', () => {
    expect(subjectToken('billing.api')).toBe('billing_api');
    expect(subjectToken('a*b>c')).toBe('a_b_c');
    expect(subjectToken(' tab\there\nnl\u00a0nbsp')).toBe('_tab_here_nl_nbsp');
  });

  it('replaces non-printable characters', () => {
    expect(subjectToken('a\u0000b\u001fc\u007fd\u0085e\u200bf\ufeffg')).toBe('a_b_c_d_e_f_g');
  });

  it('replaces a lone surrogate but keeps a surrogate pair', () => {
    expect(subjectToken('x\ud800y')).toBe('x_y');
    expect(subjectToken('agent-🤖')).toBe('agent-🤖');
  });

  it('keeps letters outside ASCII', () => {
    expect(subjectToken('café-服务')).toBe('café-服务');
  });

  it('names an empty service unknown_service', () => {
    expect(subjectToken('')).toBe(UNKNOWN_SERVICE_TOKEN);
    expect(UNKNOWN_SERVICE_TOKEN).toBe('unknown_service');
  });

  it('cuts an over-long name to the limit, keeping distinct names distinct', () => {
    const stem = 'x'.repeat(400);
    const first = subjectToken(`${stem}-a`);
    const second = subjectToken(`${stem}-b`);
    expect(Array.from(first)).toHaveLength(MAX_SUBJECT_TOKEN_LENGTH);
    expect(first).not.toBe(second);
    expect(subjectToken(`${stem}-a`)).toBe(first);
    expect(first.startsWith('x'.repeat(100))).toBe(true);
  });

  it('does not split a surrogate pair when cutting', () => {
    const token = subjectToken('🤖'.repeat(300));
    // With the u flag a surrogate class matches only unpaired halves.
    expect(token).not.toMatch(/[\ud800-\udfff]/u);
    expect(token.startsWith('🤖')).toBe(true);
  });

  it('always yields a single valid token', () => {
    const names = ['', '.', '..', '*', '>', ' ', 'a.b.c', 'svc >', '\t\r\n', 'ok', '🤖.🤖', 'a'.repeat(1_000)];
    for (const name of names) expect(subjectToken(name)).toMatch(TOKEN);
  });
});
