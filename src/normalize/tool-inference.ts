import type { ToolCategory, ToolClass, ToolEffect } from './events.js';

/*
 * Guessing a tool's class from its name (and description) when the catalog has no entry for it.
 * Names lead with their verb (`get_x`, `send_x`), so the first verb decides the effect. Nouns for the
 * sensitive kinds of data (code, money, identity, personal data) decide the category before the verb
 * does: `get_payment_status` is financial/read, while `delete_email` (no sensitive noun) is
 * file_write/delete. A channel noun with a writing verb (`create_shareable_link`) sends. A web noun
 * makes even a read external (`open_url`): the request leaves for an address the agent chose.
 */

type VerbKind = 'read' | 'send' | 'write' | 'delete' | 'exec' | 'pay';

const VERB_WORDS: Readonly<Record<VerbKind, readonly string[]>> = {
  read: [
    'get', 'list', 'read', 'fetch', 'query', 'select', 'search', 'find', 'lookup', 'retrieve', 'view',
    'show', 'describe', 'check', 'download', 'browse', 'count', 'inspect', 'load', 'scan',
  ],
  send: ['send', 'post', 'share', 'publish', 'invite', 'forward', 'reply', 'notify', 'broadcast', 'dm'],
  write: [
    'write', 'create', 'update', 'upload', 'append', 'edit', 'modify', 'set', 'add', 'save', 'put',
    'insert', 'rename', 'move', 'copy', 'patch', 'reschedule', 'upsert', 'store', 'commit', 'make', 'grant',
  ],
  delete: ['delete', 'remove', 'cancel', 'drop', 'erase', 'purge', 'destroy', 'revoke', 'unlink', 'truncate', 'wipe'],
  exec: ['exec', 'execute', 'eval', 'evaluate', 'interpret', 'compile', 'run_script', 'run_code', 'run_command'],
  pay: ['pay', 'transfer', 'purchase', 'buy', 'reserve', 'book', 'charge', 'withdraw', 'deposit', 'checkout'],
};

type NounCategory = Exclude<ToolCategory, 'file_write' | 'other'>;

const NOUN_WORDS: Readonly<Record<NounCategory, readonly string[]>> = {
  code_execution: [
    'python', 'code', 'shell', 'bash', 'sh', 'interpreter', 'script', 'command', 'cmd', 'terminal',
    'sandbox', 'javascript', 'notebook', 'jupyter', 'repl', 'subprocess', 'powershell',
  ],
  financial: [
    'payment', 'invoice', 'transaction', 'iban', 'bank', 'money', 'wallet', 'billing', 'bill', 'credit_card',
    'payout', 'refund', 'funds', 'stripe', 'paypal', 'crypto',
  ],
  identity: [
    'role', 'permission', 'entitlement', 'iam', 'token', 'credential', 'auth', 'oauth', 'password', 'secret',
    'apikey', 'api_key', 'privilege', 'acl', 'sso', 'login', 'mfa', 'admin', 'grant',
  ],
  pii_access: [
    'customer', 'contact', 'pii', 'passport', 'ssn', 'user_info', 'userinfo', 'user_information',
    'user_details', 'user_data', 'profile', 'personal', 'phone', 'birthday', 'dob', 'employee', 'patient',
    'medical', 'salary', 'identity',
  ],
  external_communication: [
    'email', 'mail', 'slack', 'webhook', 'link', 'sms', 'message', 'chat', 'channel', 'teams', 'discord',
    'tweet', 'twitter', 'whatsapp', 'telegram', 'notification', 'participant',
  ],
  data_access: ['sql', 'database', 'db', 'table', 'dataset', 'record', 'index', 'document', 'report'],
};

/** The open web: a call to one of these reaches outside whatever its verb. */
const WEB_WORDS: ReadonlySet<string> = new Set(['web', 'webpage', 'website', 'url', 'http', 'https', 'internet', 'html']);

/** Highest first: the sensitive kinds of data outrank what the verb suggests. */
const STRONG_NOUNS: readonly NounCategory[] = ['code_execution', 'financial', 'identity', 'pii_access'];

const VERB_OF = indexWords(VERB_WORDS);
const NOUN_OF = indexWords(NOUN_WORDS);

const VERB_CATEGORY: Readonly<Record<VerbKind, ToolCategory>> = {
  read: 'data_access',
  send: 'external_communication',
  write: 'file_write',
  delete: 'file_write',
  exec: 'code_execution',
  pay: 'financial',
};
const VERB_EFFECT: Readonly<Record<VerbKind, ToolEffect>> = {
  read: 'read',
  send: 'send',
  write: 'write',
  delete: 'delete',
  exec: 'write',
  pay: 'write',
};
const CATEGORY_EFFECT: Readonly<Record<ToolCategory, ToolEffect>> = {
  data_access: 'read',
  pii_access: 'read',
  external_communication: 'send',
  code_execution: 'write',
  file_write: 'write',
  financial: 'write',
  identity: 'read',
  other: 'read',
};
const SENSITIVE_CATEGORIES: ReadonlySet<ToolCategory> = new Set<ToolCategory>([
  'pii_access',
  'financial',
  'identity',
  'code_execution',
]);

/** Words of an identifier or a sentence: snake_case, kebab-case, camelCase and acronyms split, lower-cased. */
const WORD_PATTERN = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g;

export function splitWords(text: string): string[] {
  const words = text.match(WORD_PATTERN);
  if (words === null) return [];
  for (let i = 0; i < words.length; i++) words[i] = words[i]!.toLowerCase();
  return words;
}

/** Whether a tool of this category handles data worth protecting, when the catalog does not say. */
export function isSensitiveCategory(category: ToolCategory): boolean {
  return SENSITIVE_CATEGORIES.has(category);
}

interface WordHits {
  strongNoun: NounCategory | undefined;
  weakNoun: NounCategory | undefined;
  verb: VerbKind | undefined;
  web: boolean;
}

/** Classifies a tool the catalog does not know. Never throws; `other/read` when nothing matches. */
export function inferToolClass(name: string, description = ''): ToolClass {
  const fromName = scan(splitWords(name));
  let strongNoun = fromName.strongNoun;
  let verb = fromName.verb;
  let weakNoun = fromName.weakNoun;
  let web = fromName.web;
  if (description !== '' && (strongNoun === undefined || verb === undefined)) {
    // Descriptions are wordy: a sensitive noun, the first verb when the name has none, and other nouns
    // (the web's too) only when the name says nothing at all.
    const fromText = scan(splitWords(description));
    strongNoun ??= fromText.strongNoun;
    if (verb === undefined && weakNoun === undefined && !web) {
      weakNoun = fromText.weakNoun;
      web = fromText.web;
    }
    verb ??= fromText.verb;
  }
  const sends = weakNoun === 'external_communication' && (verb === 'write' || verb === 'send');
  // The web decides where a call goes, not what it does: running code and paying keep their classes.
  const goesToWeb = web && verb !== 'exec' && verb !== 'pay';
  let category: ToolCategory;
  if (strongNoun !== undefined) category = strongNoun;
  else if (sends || goesToWeb) category = 'external_communication';
  else if (verb !== undefined) category = VERB_CATEGORY[verb];
  else category = weakNoun ?? 'other';
  const webDecided = strongNoun === undefined && !sends && goesToWeb;
  const effect = sends ? 'send' : verb !== undefined ? VERB_EFFECT[verb] : webDecided ? 'read' : CATEGORY_EFFECT[category];
  return { category, effect, sensitive: isSensitiveCategory(category), cost: 0, inferred: true };
}

function scan(words: readonly string[]): WordHits {
  const hits: WordHits = { strongNoun: undefined, weakNoun: undefined, verb: undefined, web: false };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const next = words[i + 1];
    // `run_script`, `user_info`: a pair that means more than its words.
    if (next !== undefined && note(hits, `${word}_${next}`)) {
      i++;
      continue;
    }
    note(hits, word);
  }
  return hits;
}

/** Records what a word says; true when it is a keyword. */
function note(hits: WordHits, word: string): boolean {
  for (const form of stems(word)) {
    if (WEB_WORDS.has(form)) {
      hits.web = true;
      return true;
    }
    const verb = VERB_OF.get(form);
    const noun = NOUN_OF.get(form);
    if (verb === undefined && noun === undefined) continue;
    hits.verb ??= verb;
    if (noun !== undefined) {
      const rank = STRONG_NOUNS.indexOf(noun);
      if (rank >= 0) {
        if (hits.strongNoun === undefined || rank < STRONG_NOUNS.indexOf(hits.strongNoun)) hits.strongNoun = noun;
      } else if (hits.weakNoun === undefined || noun === 'external_communication') {
        hits.weakNoun = noun;
      }
    }
    return true;
  }
  return false;
}

/** The word and its plural-less / -able-less forms: `entitlements` -> `entitlement`, `shareable` -> `share`. */
function stems(word: string): string[] {
  const forms = [word];
  if (word.length > 3 && word.endsWith('s')) forms.push(word.slice(0, -1));
  if (word.length > 4 && word.endsWith('es')) forms.push(word.slice(0, -2));
  if (word.length > 4 && word.endsWith('ies')) forms.push(`${word.slice(0, -3)}y`);
  if (word.length > 6 && word.endsWith('able')) forms.push(word.slice(0, -4));
  return forms;
}

function indexWords<K extends string>(table: Readonly<Record<K, readonly string[]>>): ReadonlyMap<string, K> {
  const index = new Map<string, K>();
  for (const key of Object.keys(table) as K[]) {
    for (const word of table[key]) if (!index.has(word)) index.set(word, key);
  }
  return index;
}
