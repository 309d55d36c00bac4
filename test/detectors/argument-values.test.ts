import { describe, it, expect } from 'vitest';
import { argumentValues } from '../../src/detectors/index.js';

describe('argumentValues', () => {
  it('classifies whole values and gives entities a shape', () => {
    const values = argumentValues({
      recipients: ['Bob@Example.com'],
      iban: 'DE89370400440532013000',
      link: 'https://files.example.org/x?y=1',
      amount: 42,
      title: 'Team lunch',
    });
    expect(values).toEqual([
      { path: 'recipients[]', value: 'bob@example.com', kind: 'email', shape: 'example.com' },
      { path: 'iban', value: 'de89370400440532013000', kind: 'iban', shape: 'de' },
      { path: 'link', value: 'https://files.example.org/x?y=1', kind: 'url', shape: 'files.example.org' },
      { path: 'amount', value: '42', kind: 'number', shape: '' },
      { path: 'title', value: 'team lunch', kind: 'text', shape: '' },
    ]);
  });

  it('tells dates from phone numbers', () => {
    expect(argumentValues({ start: '2025-01-03', at: '2024-05-26 10:00', phone: '+41 44 123 45 67' }).map((v) => v.kind)).toEqual([
      'date',
      'date',
      'phone',
    ]);
  });

  it('takes only the entities out of long free text', () => {
    const body = `${'Hello there, this is a long message body. '.repeat(3)} Please write to eve@evil.test or visit www.evil.test/pay now.`;
    const values = argumentValues({ body });
    expect(values.map((v) => [v.path, v.value, v.kind])).toEqual([
      ['body#email', 'eve@evil.test', 'email'],
      ['body#url', 'www.evil.test/pay', 'url'],
    ]);
  });

  it('finds entities wherever a run of their characters starts: after punctuation, an ellipsis or a scheme', () => {
    const body = `${'Some filler text for the message body. '.repeat(3)}Mail (first.last+tag@corp.example.com), see...docs.example.org/a?b=1 or https://x.example.net/p, pay DE89370400440532013000.`;
    expect(argumentValues({ body }).map((v) => [v.value, v.kind])).toEqual([
      ['first.last+tag@corp.example.com', 'email'],
      ['docs.example.org/a?b=1', 'url'],
      ['https://x.example.net/p,', 'url'],
      ['de89370400440532013000', 'iban'],
    ]);
    const odd = `${'Some filler text for the message body. '.repeat(3)}get files_www.evil.example/drop and -evil.example/x`;
    expect(argumentValues({ body: odd }).map((v) => v.value)).toEqual(['evil.example/drop', 'evil.example/x']);
  });

  it('walks nested objects and bounds the output', () => {
    expect(argumentValues({ event: { place: { city: 'Paris' } } })).toEqual([
      { path: 'event.place.city', value: 'paris', kind: 'text', shape: '' },
    ]);
    expect(argumentValues({ ids: Array.from({ length: 500 }, (_, i) => i) }).length).toBe(64);
    expect(argumentValues('plain string')).toEqual([{ path: '', value: 'plain string', kind: 'text', shape: '' }]);
    expect(argumentValues(null)).toEqual([]);
  });
});
