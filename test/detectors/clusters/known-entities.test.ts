import { describe, it, expect } from 'vitest';
import { KnownEntities } from '../../../src/detectors/clusters/index.js';
import { session } from '../../training/fixtures.js';

const email = (value: string) => ({ path: 'to[]', value, kind: 'email' as const, shape: value.slice(value.indexOf('@') + 1) });

// Three sessions mention alice (prompt, argument, result); one also mentions bob in a result.
function known(): KnownEntities {
  return KnownEntities.build([
    session('a', 'write to alice@corp.example', []),
    session('b', 'reply', [{ tool: 'send_message', effect: 'send', args: { to: ['Alice@corp.example'] } }]),
    session('c', 'summarize', [{ tool: 'read_inbox', result: 'From: alice@corp.example, cc bob@corp.example' }]),
  ]);
}

describe('KnownEntities', () => {
  it('knows every entity that training traffic mentioned, wherever it was', () => {
    expect(known().familiarity(email('alice@corp.example'))).toMatchObject({ known: true, valueBits: 0, shapeBits: 0 });
    expect(known().familiarity(email('bob@corp.example'))).toMatchObject({ known: true, valueBits: 0 });
  });

  it('scores a new entity by the Witten-Bell chance of a new one, and a new domain on top', () => {
    // 4 session-level mentions of 2 distinct addresses: P(new) = (2 + 1) / (4 + 2 + 1).
    const sameDomain = known().familiarity(email('carol@corp.example'));
    expect(sameDomain).toMatchObject({ known: false, mentions: 4, distinct: 2, shapeBits: 0 });
    expect(sameDomain.valueBits).toBeCloseTo(-Math.log2(3 / 7), 10);
    // corp.example was mentioned by 3 sessions, 1 distinct domain: P(new domain) = (1 + 1) / (3 + 1 + 1).
    const newDomain = known().familiarity(email('mallory@evil.example'));
    expect(newDomain.valueBits).toBeCloseTo(-Math.log2(3 / 7), 10);
    expect(newDomain.shapeBits).toBeCloseTo(-Math.log2(2 / 5), 10);
  });

  it('gives no bits to a kind it never saw (no evidence of how new is usual)', () => {
    const iban = { path: 'iban', value: 'de89370400440532013000', kind: 'iban' as const, shape: 'de' };
    expect(known().familiarity(iban)).toMatchObject({ known: false, valueBits: 0, shapeBits: 0, mentions: 0 });
  });

  it('round-trips through JSON without holding any address in clear', () => {
    const json = JSON.stringify(known().toJSON());
    expect(json).not.toMatch(/alice|corp\.example/);
    const copy = KnownEntities.fromJSON(JSON.parse(json));
    for (const value of ['alice@corp.example', 'carol@corp.example', 'mallory@evil.example']) {
      expect(copy.familiarity(email(value))).toEqual(known().familiarity(email(value)));
    }
  });

  it('rejects a malformed file, naming where', () => {
    expect(() => KnownEntities.fromJSON({ format: 'x' }, 'clusters.json entities')).toThrow(/clusters.json entities: expected format/);
    expect(() => KnownEntities.fromJSON({ format: 'chainwatch.known-entities/1', kinds: [{ kind: 'text' }] })).toThrow(/malformed entry/);
  });
});
