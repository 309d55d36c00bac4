import type { Rng } from './prng.js';

/** Country code, then the BBAN layout: `A` a capital letter, `9` a digit. */
const LAYOUTS: Readonly<Record<string, string>> = {
  DE: '999999999999999999',
  GB: 'AAAA99999999999999',
  NL: 'AAAA9999999999',
  FR: '99999999999999999999999',
  ES: '99999999999999999999',
  IE: 'AAAA99999999999999',
  LT: '9999999999999999',
  EE: '9999999999999999',
  CY: '99999999999999999999999999',
  LV: 'AAAA9999999999999',
};

function mod97(digits: string): number {
  let rest = 0;
  for (let i = 0; i < digits.length; i += 7) {
    rest = Number(`${rest}${digits.slice(i, i + 7)}`) % 97;
  }
  return rest;
}

/** A syntactically valid IBAN (correct check digits) for a made-up account. */
export function randomIban(rng: Rng, country: string): string {
  const layout = LAYOUTS[country];
  if (layout === undefined) throw new Error(`no IBAN layout for ${country}`);
  let bban = '';
  for (const slot of layout) {
    bban += slot === 'A' ? String.fromCharCode(65 + rng.int(0, 25)) : String(rng.int(0, 9));
  }
  const numeric = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  const check = String(98 - mod97(numeric)).padStart(2, '0');
  return `${country}${check}${bban}`;
}

export function isValidIban(iban: string): boolean {
  const rearranged = `${iban.slice(4)}${iban.slice(0, 4)}`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  return /^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban) && mod97(rearranged) === 1;
}
