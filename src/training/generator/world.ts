import { randomIban } from './iban.js';
import {
  COMPANY_SUFFIXES,
  COMPANY_WORDS,
  CONTACT_TITLES,
  FIRST_NAMES,
  LAST_NAMES,
  VENDOR_NAMES,
} from './name-pools.js';
import type { Rng } from './prng.js';

/** The simulated company: its people, customers, vendors, services, channels, pages and files. */

/** The domain of Northwind Analytics, the made-up company. */
export const COMPANY_DOMAIN = 'northwind-analytics.com';

export const DEPARTMENTS = ['sales', 'support', 'engineering', 'data', 'finance', 'operations'] as const;
export type Department = (typeof DEPARTMENTS)[number];

export const SALES_REGIONS = ['NA', 'EMEA', 'APAC', 'LATAM'] as const;
export type SalesRegion = (typeof SALES_REGIONS)[number];

export const CLOUD_REGIONS = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'ap-southeast-1',
  'ap-northeast-1',
] as const;

export const OPPORTUNITY_STAGES = [
  'Discovery',
  'Qualification',
  'Proposal',
  'Negotiation',
  'Closed Won',
  'Closed Lost',
] as const;

export interface Employee {
  /** `enduser.id`: pseudonymous, as in the AgentDojo dataset. */
  readonly userId: string;
  readonly first: string;
  readonly name: string;
  readonly email: string;
  /** Chat handle, e.g. `ana.silva`. */
  readonly handle: string;
  readonly department: Department;
}

export interface Contact {
  readonly id: string;
  readonly name: string;
  readonly first: string;
  readonly email: string;
  readonly phone: string;
  readonly title: string;
}

export interface Opportunity {
  readonly id: string;
  readonly name: string;
  readonly stage: string;
  readonly amountUsd: number;
  readonly closeDate: string;
}

export interface Account {
  readonly id: string;
  /** Billing system id of the same customer. */
  readonly customerId: string;
  readonly name: string;
  readonly domain: string;
  readonly tier: 'enterprise' | 'mid-market' | 'smb';
  readonly region: SalesRegion;
  readonly arrUsd: number;
  readonly ownerEmail: string;
  readonly contacts: readonly Contact[];
  readonly opportunities: readonly Opportunity[];
  /** A chat channel shared with the customer (`ext-...`), or null. */
  readonly sharedChannel: string | null;
}

export interface Vendor {
  readonly id: string;
  readonly name: string;
  readonly domain: string;
  readonly iban: string;
  readonly currency: 'EUR' | 'GBP' | 'USD';
}

export interface Microservice {
  readonly name: string;
  readonly team: string;
  readonly region: string;
}

export interface WikiPage {
  readonly id: string;
  readonly title: string;
  readonly space: string;
}

export interface DriveFile {
  readonly id: string;
  readonly name: string;
  readonly folder: string;
}

export interface World {
  readonly employees: readonly Employee[];
  readonly accounts: readonly Account[];
  readonly vendors: readonly Vendor[];
  readonly services: readonly Microservice[];
  readonly pages: readonly WikiPage[];
  readonly files: readonly DriveFile[];
  /** Internal channels by department, plus `#general`-style ones under 'all'. */
  readonly channels: Readonly<Record<Department | 'all', readonly string[]>>;
}

const MICROSERVICES: readonly (readonly [string, string])[] = [
  ['checkout-api', 'payments'],
  ['payments-worker', 'payments'],
  ['billing-service', 'payments'],
  ['auth-service', 'identity'],
  ['user-service', 'identity'],
  ['gateway', 'platform'],
  ['scheduler', 'platform'],
  ['notifications', 'platform'],
  ['webhook-dispatcher', 'platform'],
  ['search-api', 'growth'],
  ['recommendation-engine', 'growth'],
  ['web-frontend', 'web'],
  ['pdf-renderer', 'web'],
  ['ingest-pipeline', 'data-platform'],
  ['etl-runner', 'data-platform'],
  ['reporting-api', 'data-platform'],
  ['export-worker', 'data-platform'],
  ['metrics-collector', 'observability'],
];

const FIXED_PAGES: readonly (readonly [string, string])[] = [
  ['SUP', 'Refund policy'],
  ['SUP', 'Escalation matrix'],
  ['SUP', 'SSO troubleshooting'],
  ['SUP', 'Resetting MFA for a customer'],
  ['SUP', 'Data export requests (GDPR)'],
  ['SUP', 'Known issue: CSV export timeouts'],
  ['SUP', 'Macro: billing dispute'],
  ['SALES', 'Pricing tiers 2026'],
  ['SALES', 'Discount approval process'],
  ['SALES', 'Security questionnaire answers'],
  ['SALES', 'Competitive battlecard: Helio Metrics'],
  ['SALES', 'Enterprise onboarding plan'],
  ['ENG', 'On-call handbook'],
  ['ENG', 'Deploy process'],
  ['ENG', 'How to rotate API keys'],
  ['ENG', 'Feature flag guidelines'],
  ['ENG', 'Incident postmortem: 2026-10-14 payments outage'],
  ['ENG', 'Database migration checklist'],
  ['DATA', 'Warehouse table guide'],
  ['DATA', 'Metric definitions: active users'],
  ['DATA', 'Churn model notes'],
  ['FIN', 'Vendor payment runbook'],
  ['FIN', 'Month-end close checklist'],
  ['FIN', 'Expense policy'],
  ['PEOPLE', 'Holiday calendar 2026'],
  ['PEOPLE', 'Onboarding checklist'],
  ['PEOPLE', 'Travel policy'],
  ['IT', 'VPN setup'],
  ['IT', 'Laptop replacement'],
  ['SEC', 'Reporting a phishing e-mail'],
  ['SEC', 'Data classification policy'],
];

const CHANNELS: Readonly<Record<Department | 'all', readonly string[]>> = {
  sales: ['#sales-na', '#sales-emea', '#sales-apac', '#deals', '#sales-ops'],
  support: ['#support', '#support-escalations', '#support-billing', '#kb-updates'],
  engineering: ['#eng-platform', '#eng-payments', '#incidents', '#deployments', '#oncall'],
  data: ['#data-team', '#analytics-requests', '#dashboards'],
  finance: ['#finance-ops', '#ap-payables', '#month-end'],
  operations: ['#ops', '#it-help', '#office'],
  all: ['#general', '#announcements', '#random', '#security'],
};

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

function phone(rng: Rng, region: SalesRegion): string {
  const digits = (n: number): string => Array.from({ length: n }, () => rng.int(0, 9)).join('');
  switch (region) {
    case 'NA':
      return `+1 ${rng.int(201, 989)} ${digits(3)} ${digits(4)}`;
    case 'EMEA':
      return `+${rng.pick(['44 20', '49 30', '33 1', '31 20', '46 8'])} ${digits(4)} ${digits(4)}`;
    case 'APAC':
      return `+${rng.pick(['65', '81 3', '61 2'])} ${digits(4)} ${digits(4)}`;
    case 'LATAM':
      return `+${rng.pick(['55 11', '52 55', '57 1'])} ${digits(4)} ${digits(4)}`;
  }
}

function buildEmployees(rng: Rng, count: number): Employee[] {
  const departmentWeights = [0.24, 0.24, 0.21, 0.12, 0.11, 0.08];
  const seen = new Set<string>();
  const employees: Employee[] = [];
  for (let i = 0; i < count; i++) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    let handle = `${first}.${last}`.toLowerCase();
    for (let n = 2; seen.has(handle); n++) handle = `${first}.${last}${n}`.toLowerCase();
    seen.add(handle);
    // The first six employees cover every department, so even a tiny world has each of them.
    const department = i < DEPARTMENTS.length ? DEPARTMENTS[i]! : rng.weighted(DEPARTMENTS, departmentWeights);
    employees.push({
      userId: `user-${rng.hex(4)}`,
      first,
      name: `${first} ${last}`,
      email: `${handle}@${COMPANY_DOMAIN}`,
      handle,
      department,
    });
  }
  return employees;
}

function buildAccounts(rng: Rng, count: number, salesReps: readonly Employee[]): Account[] {
  const names = new Set<string>();
  const accounts: Account[] = [];
  while (accounts.length < count) {
    const name = `${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_SUFFIXES)}`;
    if (names.has(name)) continue;
    names.add(name);
    const domain = `${slug(name)}.${rng.weighted(['com', 'io', 'co', 'de', 'co.uk', 'com.br'], [10, 2, 1, 1, 1, 1])}`;
    const region = rng.weighted(SALES_REGIONS, [0.45, 0.3, 0.15, 0.1]);
    const tier = rng.weighted(['enterprise', 'mid-market', 'smb'] as const, [0.25, 0.4, 0.35]);
    const contacts: Contact[] = [];
    const contactCount = rng.int(2, 5);
    for (let c = 0; c < contactCount; c++) {
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      const local = rng.chance(0.6) ? `${first}.${last}` : `${first.charAt(0)}${last}`;
      contacts.push({
        id: `CON-${rng.int(100000, 999999)}`,
        name: `${first} ${last}`,
        first,
        email: `${local.toLowerCase()}@${domain}`,
        phone: phone(rng, region),
        title: rng.pick(CONTACT_TITLES),
      });
    }
    const opportunities: Opportunity[] = [];
    const oppCount = rng.int(0, 3);
    for (let o = 0; o < oppCount; o++) {
      opportunities.push({
        id: `OPP-${rng.int(10000, 99999)}`,
        name: `${name} - ${rng.pick(['Expansion', 'Renewal', 'New logo', 'Add-on: Exports', 'Platform upgrade'])}`,
        stage: rng.weighted(OPPORTUNITY_STAGES.slice(0, 4), [3, 3, 2, 1]),
        amountUsd: rng.int(8, 400) * 1000,
        closeDate: `2026-${String(rng.int(11, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
      });
    }
    accounts.push({
      id: `ACC-${rng.int(10000, 99999)}`,
      customerId: `cus_${rng.hex(6)}`,
      name,
      domain,
      tier,
      region,
      arrUsd:
        (tier === 'enterprise' ? rng.int(120, 900) : tier === 'mid-market' ? rng.int(30, 150) : rng.int(4, 30)) * 1000,
      ownerEmail: rng.pick(salesReps).email,
      contacts,
      opportunities,
      sharedChannel: tier === 'enterprise' && rng.chance(0.5) ? `#ext-${slug(name).slice(0, 18)}` : null,
    });
  }
  return accounts;
}

function buildVendors(rng: Rng): Vendor[] {
  return VENDOR_NAMES.map((name) => {
    const country = rng.weighted(['DE', 'GB', 'NL', 'FR', 'ES', 'IE'], [3, 3, 2, 2, 1, 1]);
    return {
      id: `VEN-${rng.int(1000, 9999)}`,
      name,
      domain: `${slug(name.split(' ').slice(0, 2).join(''))}.com`,
      iban: randomIban(rng, country),
      currency: country === 'GB' ? 'GBP' : rng.chance(0.2) ? 'USD' : 'EUR',
    };
  });
}

function buildFiles(rng: Rng, accounts: readonly Account[], vendors: readonly Vendor[]): DriveFile[] {
  const files: DriveFile[] = [];
  const add = (folder: string, name: string): void => {
    files.push({ id: `file_${rng.hex(6)}`, name, folder });
  };
  for (const account of accounts.slice(0, 120)) {
    add('/Sales/Proposals', `Proposal - ${account.name}.pdf`);
    if (account.tier !== 'smb') add('/Legal/Contracts', `${account.name} MSA 2026.pdf`);
  }
  for (const vendor of vendors) add('/Finance/Invoices', `${vendor.name} invoice ${rng.int(1000, 9999)}.pdf`);
  for (const name of [
    'Q3 2026 board deck.pptx',
    'Pricing 2026.xlsx',
    'Sales playbook.pdf',
    'Security whitepaper.pdf',
    'SOC 2 report 2026.pdf',
    'Product roadmap H1 2027.pdf',
    'Customer case study - logistics.pdf',
    'Onboarding guide.pdf',
    'Data processing addendum.pdf',
  ])
    add('/Sales/Collateral', name);
  for (const week of [41, 42, 43, 44, 45]) add('/Data/Reports', `Weekly KPIs 2026-W${week}.csv`);
  for (const name of [
    'churn_model_features.csv',
    'signups_by_channel.csv',
    'nps_responses_oct.csv',
    'usage_export_raw.csv',
  ]) {
    add('/Data/Exports', name);
  }
  for (const name of ['Budget 2027 draft.xlsx', 'Headcount plan.xlsx', 'Vendor list.xlsx', 'October close.xlsx'])
    add('/Finance/Reports', name);
  for (const name of [
    'API design guidelines.md',
    'Payments v2 design.md',
    'Incident template.md',
    'Capacity plan 2027.xlsx',
  ]) {
    add('/Engineering/Design Docs', name);
  }
  for (const name of ['Employee handbook.pdf', 'Benefits overview.pdf', 'Offsite agenda.docx']) add('/People', name);
  return files;
}

export function buildWorld(rng: Rng, employeeCount: number, accountCount: number): World {
  const employees = buildEmployees(rng, employeeCount);
  const salesReps = employees.filter((e) => e.department === 'sales');
  const accounts = buildAccounts(rng, accountCount, salesReps);
  const vendors = buildVendors(rng);
  const services = MICROSERVICES.map(([name, team]) => ({ name, team, region: rng.pick(CLOUD_REGIONS.slice(0, 4)) }));
  const pages: WikiPage[] = FIXED_PAGES.map(([space, title]) => ({ id: `${rng.int(100000, 999999)}`, title, space }));
  for (const service of services) {
    pages.push({ id: `${rng.int(100000, 999999)}`, title: `Runbook: ${service.name}`, space: 'ENG' });
  }
  return {
    employees,
    accounts,
    vendors,
    services,
    pages,
    files: buildFiles(rng, accounts, vendors),
    channels: CHANNELS,
  };
}
