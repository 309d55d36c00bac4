import { describe, expect, it } from 'vitest';
import { isValidIban, randomIban } from '../../../src/training/generator/iban.js';
import { createRng } from '../../../src/training/generator/prng.js';

describe('randomIban', () => {
  it('produces IBANs whose check digits verify', () => {
    const rng = createRng(3);
    for (const country of ['DE', 'GB', 'NL', 'FR', 'ES', 'IE', 'LT', 'EE', 'CY', 'LV']) {
      const iban = randomIban(rng, country);
      expect(iban.startsWith(country)).toBe(true);
      expect(isValidIban(iban)).toBe(true);
    }
  });

  it('accepts a published example and rejects a changed digit', () => {
    expect(isValidIban('DE89370400440532013000')).toBe(true);
    expect(isValidIban('DE89370400440532013001')).toBe(false);
  });

  it('names the country it has no layout for', () => {
    expect(() => randomIban(createRng(1), 'ZZ')).toThrow(/ZZ/);
  });
});
