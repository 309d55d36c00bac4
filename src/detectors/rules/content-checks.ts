/**
 * Built-in content checks on strings: personal data, secrets, URLs and e-mail domains outside an
 * allow-list. Regexes are compiled once; candidates are confirmed by checksums where one exists
 * (Luhn for cards, mod-97 for IBANs) to keep false positives down.
 */

export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'national_id'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export const SECRET_KINDS = [
  'aws_key',
  'github_token',
  'slack_token',
  'openai_key',
  'google_api_key',
  'stripe_key',
  'jwt',
  'private_key',
  'password_assignment',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

interface Detector {
  readonly pattern: RegExp;
  readonly confirm?: (match: string) => boolean;
}

// Starts only where a run of local-part characters starts: tried inside a long run, it is quadratic.
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

const PII: Record<PiiKind, Detector> = {
  email: { pattern: EMAIL },
  phone: {
    pattern: /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4}(?![\w])/g,
    confirm: (m) => {
      const digits = countDigits(m);
      return digits >= 9 && digits <= 15;
    },
  },
  card: { pattern: /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g, confirm: luhnValid },
  iban: { pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g, confirm: ibanValid },
  national_id: {
    // US SSN (with its reserved ranges excluded) and UK National Insurance numbers.
    pattern:
      /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b|\b(?![DFIQUV])[A-CEGHJ-PR-TW-Z](?![DFIQUVO])[A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g,
  },
};

const SECRETS: Record<SecretKind, Detector> = {
  aws_key: { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  github_token: { pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/g },
  slack_token: { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  openai_key: { pattern: /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}/g },
  google_api_key: { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  stripe_key: { pattern: /\b[rs]k_live_[0-9A-Za-z]{20,}\b/g },
  jwt: { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  private_key: { pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g },
  password_assignment: {
    pattern: /\b(?:api[_-]?key|secret|token|passw(?:or)?d|access[_-]?key)["']?\s*[:=]\s*["']?[A-Za-z0-9_\-/+=.]{12,}/gi,
  },
};

function countDigits(text: string): number {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  return digits;
}

/** Luhn checksum over the digits of a candidate card number (13-19 digits). */
export function luhnValid(candidate: string): boolean {
  let sum = 0;
  let digits = 0;
  let double = false;
  for (let i = candidate.length - 1; i >= 0; i--) {
    const c = candidate.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    digits++;
    let d = c;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}

/** ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 must be 1. */
export function ibanValid(candidate: string): boolean {
  const compact = candidate.replace(/ /g, '');
  if (compact.length < 15 || compact.length > 34) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      remainder = (remainder * 10 + (c - 48)) % 97;
    } else if (c >= 65 && c <= 90) {
      remainder = (remainder * 100 + (c - 55)) % 97;
    } else {
      return false;
    }
  }
  return remainder === 1;
}

function found(detector: Detector, text: string): boolean {
  const pattern = detector.pattern;
  pattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    if (detector.confirm === undefined || detector.confirm(match[0])) {
      pattern.lastIndex = 0;
      return true;
    }
    if (match[0].length === 0) pattern.lastIndex++;
  }
  return false;
}

/** Does the text contain personal data of one of `kinds`? */
export function containsPii(text: string, kinds: readonly PiiKind[]): boolean {
  for (const kind of kinds) if (found(PII[kind], text)) return true;
  return false;
}

/** Does the text contain a secret of one of `kinds`? */
export function containsSecret(text: string, kinds: readonly SecretKind[]): boolean {
  for (const kind of kinds) if (found(SECRETS[kind], text)) return true;
  return false;
}

/** A domain allow-list: a host is allowed when it is a listed domain or a subdomain of one. */
export class DomainAllowList {
  private readonly domains: ReadonlySet<string>;

  constructor(domains: readonly string[]) {
    this.domains = new Set(domains.map((d) => d.toLowerCase().replace(/^\*?\./, '')));
  }

  allows(host: string): boolean {
    let candidate = host.toLowerCase();
    for (;;) {
      if (this.domains.has(candidate)) return true;
      const dot = candidate.indexOf('.');
      if (dot < 0) return false;
      candidate = candidate.slice(dot + 1);
    }
  }
}

const URL_HOST = /\b(?:https?|ftp|wss?):\/\/(?:[^\s/?#@"'<>]*@)?(\[[^\]]*\]|[^\s/?#:"'<>),;]+)/gi;
const WWW_HOST = /(?<![\w./@-])(www\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/gi;

/** Does the text contain a URL whose host the allow-list does not allow? */
export function hasUrlOutside(text: string, allowed: DomainAllowList): boolean {
  return hostOutside(URL_HOST, text, allowed) || hostOutside(WWW_HOST, text, allowed);
}

/** Does the text contain an e-mail address whose domain the allow-list does not allow? */
export function hasEmailDomainOutside(text: string, allowed: DomainAllowList): boolean {
  EMAIL.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = EMAIL.exec(text)) !== null) {
    const domain = match[0].slice(match[0].lastIndexOf('@') + 1);
    if (!allowed.allows(domain)) {
      EMAIL.lastIndex = 0;
      return true;
    }
  }
  return false;
}

function hostOutside(pattern: RegExp, text: string, allowed: DomainAllowList): boolean {
  pattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const host = (match[1] ?? '').replace(/\.$/, '');
    if (host !== '' && !allowed.allows(host)) {
      pattern.lastIndex = 0;
      return true;
    }
  }
  return false;
}
