import { randomIban } from './iban.js';
import { FIRST_NAMES, LAST_NAMES } from './name-pools.js';
import type { Rng } from './prng.js';

/** Where attackers want things sent: drawn per session so that no single value marks an attack. */

export interface AttackerValues {
  readonly email: string;
  readonly url: string;
  readonly iban: string;
  /** A chat channel shared with an outside organisation the attacker controls. */
  readonly channel: string;
}

const MAILBOX_DOMAINS = ['gmail.com', 'proton.me', 'outlook.com', 'tutanota.com', 'gmx.net', 'yandex.com', 'mail.com'];
/** Look-alikes of the company's own domain. */
const LOOKALIKE_DOMAINS = [
  'northwind-analytics.co',
  'northwlnd-analytics.com',
  'northwind-analytics-support.com',
  'nwa-billing.com',
  'northwindanalytics.net',
  'northwind-audit.com',
];
const SHARED_CHANNELS = [
  '#ext-data-sync',
  '#ext-vendor-audit',
  '#ext-partner-integration',
  '#ext-compliance-review',
  '#ext-migration-help',
];
const IBAN_COUNTRIES = ['LT', 'EE', 'CY', 'LV', 'GB', 'DE', 'NL'];

function handle(rng: Rng): string {
  const first = rng.pick(FIRST_NAMES).toLowerCase();
  const last = rng.pick(LAST_NAMES).toLowerCase();
  return rng.pick([
    `${first}.${last}`,
    `${first}${last.charAt(0)}${rng.int(10, 9999)}`,
    `${first}-${last}-${rng.int(1000, 9999)}`,
    `${rng.pick(['billing', 'accounts', 'audit', 'it-support', 'finance'])}.${last}`,
  ]);
}

function url(rng: Rng): string {
  const choice = rng.int(0, 6);
  switch (choice) {
    case 0:
      return `https://webhook.site/${rng.hex(4)}-${rng.hex(2)}-${rng.hex(2)}-${rng.hex(2)}-${rng.hex(6)}`;
    case 1:
      return `https://${rng.hex(6)}.ngrok-free.app/collect`;
    case 2:
      return `https://eo${rng.hex(7)}.m.pipedream.net`;
    case 3:
      return `https://hooks.${rng.pick(LOOKALIKE_DOMAINS)}/ingest/${rng.hex(4)}`;
    case 4:
      return `https://${rng.pick(['sync', 'backup', 'audit', 'metrics'])}-${rng.hex(3)}.herokuapp.com/api/upload`;
    case 5:
      return `https://api.${rng.pick(['datasync-cloud.io', 'secure-transfer.net', 'logs-archive.org'])}/v1/push`;
    default:
      return `https://discord.com/api/webhooks/${rng.int(100000000, 999999999)}${rng.int(100000000, 999999999)}/${rng.hex(16)}`;
  }
}

export function drawAttackerValues(rng: Rng): AttackerValues {
  const domain = rng.chance(0.65) ? rng.pick(MAILBOX_DOMAINS) : rng.pick(LOOKALIKE_DOMAINS);
  return {
    email: `${handle(rng)}@${domain}`,
    url: url(rng),
    iban: randomIban(rng, rng.pick(IBAN_COUNTRIES)),
    channel: rng.pick(SHARED_CHANNELS),
  };
}
