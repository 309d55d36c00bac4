/** What kind of value an argument holds; entities get a `shape` that generalizes over values. */
export type ValueKind = 'email' | 'url' | 'iban' | 'phone' | 'date' | 'number' | 'text';

/** One value found in a call's arguments. */
export interface ArgumentValue {
  /** Where in the arguments: `recipients[]`, `event.location`; entities in long text: `body#email`. */
  readonly path: string;
  /** Lower-cased, trimmed. */
  readonly value: string;
  readonly kind: ValueKind;
  /** A value's kind at a coarser grain: the e-mail domain, the URL host, the IBAN country; '' for plain values. */
  readonly shape: string;
}

/** Strings longer than this are free text: only the entities in them are taken. */
export const MAX_PLAIN_VALUE_LENGTH = 80;
const MAX_VALUES = 64;
const MAX_DEPTH = 6;

// Tried at every position inside a long run of the characters they take, these would each scan to its
// end: quadratic in the text (a body of "a.a.a..."). The lookbehinds skip a start that an earlier start
// of the same run was tried at already (one that succeeds whenever the later one would): the matches
// are those of the patterns without them (checked by fuzzing), in linear time.
const EMAIL = /(?<![a-z0-9._%+-])[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/g;
const URL_PATTERN =
  /\b(?<!\b[a-z0-9][a-z0-9-]*?(?:\.[a-z0-9-]+)*?[.-]?)(?:https?:\/\/)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?::\d+)?(?:\/[^\s"'<>]*)?/g;
const IBAN = /\b[a-z]{2}\d{2}[a-z0-9]{10,30}\b/g;
const PHONE = /\+?\d[\d\s().-]{7,}\d/g;
/** ISO dates and date-times, which the phone pattern would otherwise take. */
const DATE = /^\d{4}-\d{2}-\d{2}(?:[ t]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?z?)?$/;

/**
 * The values a call's arguments carry, as (path, value, kind, shape), bounded to 64 per call.
 * Short strings are values in their own right; long ones (message bodies) contribute only the
 * e-mail addresses, URLs and IBANs in them, which is where a planted recipient or link would hide.
 */
export function argumentValues(args: unknown): ArgumentValue[] {
  const out: ArgumentValue[] = [];
  walk(args, '', 0, out);
  return out;
}

function walk(value: unknown, path: string, depth: number, out: ArgumentValue[]): void {
  if (out.length >= MAX_VALUES || depth > MAX_DEPTH || value === null || value === undefined) return;
  if (typeof value === 'string') {
    addString(value, path, out);
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    out.push({ path, value: String(value), kind: 'number', shape: '' });
  } else if (Array.isArray(value)) {
    for (const item of value) walk(item, `${path}[]`, depth + 1, out);
  } else if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) walk(item, path === '' ? key : `${path}.${key}`, depth + 1, out);
  }
}

function addString(raw: string, path: string, out: ArgumentValue[]): void {
  const text = raw.trim().toLowerCase();
  if (text === '') return;
  if (text.length <= MAX_PLAIN_VALUE_LENGTH) {
    const whole = classify(text);
    if (whole !== undefined) {
      out.push({ path, value: text, ...whole });
      return;
    }
    out.push({ path, value: text, kind: /^[\d.,\s-]+$/.test(text) ? 'number' : 'text', shape: '' });
  }
  for (const entity of entities(text)) {
    if (out.length >= MAX_VALUES) return;
    out.push({ path: `${path}#${entity.kind}`, ...entity });
  }
}

/** The kind of a whole short string, when it is one entity. */
function classify(text: string): { kind: ValueKind; shape: string } | undefined {
  if (matchesWhole(text, EMAIL)) return { kind: 'email', shape: emailDomain(text) };
  if (matchesWhole(text, IBAN)) return { kind: 'iban', shape: text.slice(0, 2) };
  if (matchesWhole(text, URL_PATTERN) && /[/:]|www\./.test(text)) return { kind: 'url', shape: urlHost(text) };
  if (DATE.test(text)) return { kind: 'date', shape: '' };
  if (matchesWhole(text, PHONE)) return { kind: 'phone', shape: text.replace(/\D/g, '').slice(0, 2) };
  return undefined;
}

/** The raw strings of a call's arguments, depth-first, at most `max` of them: where copied or planted text would be. */
export function argumentStrings(args: unknown, max: number): string[] {
  const out: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (out.length >= max || depth > MAX_DEPTH) return;
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) for (const item of value) visit(item, depth + 1);
    else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) visit(item, depth + 1);
  };
  visit(args, 0);
  return out;
}

/** E-mail addresses, URLs and IBANs inside free text, in that order. */
export function entities(text: string): Array<{ value: string; kind: ValueKind; shape: string }> {
  const found: Array<{ value: string; kind: ValueKind; shape: string }> = [];
  const emails = text.match(EMAIL) ?? [];
  for (const email of emails) found.push({ value: email, kind: 'email', shape: emailDomain(email) });
  const withoutEmails = emails.length === 0 ? text : text.replace(EMAIL, ' ');
  for (const url of withoutEmails.match(URL_PATTERN) ?? []) {
    if (/^(?:https?:\/\/|www\.)/.test(url) || url.includes('/')) found.push({ value: url, kind: 'url', shape: urlHost(url) });
  }
  for (const iban of text.match(IBAN) ?? []) found.push({ value: iban, kind: 'iban', shape: iban.slice(0, 2) });
  return found;
}

function matchesWhole(text: string, pattern: RegExp): boolean {
  const match = text.match(pattern);
  return match !== null && match.length === 1 && match[0] === text;
}

function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

function urlHost(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/^www\./, '').split(/[/:?#]/)[0] ?? '';
}
