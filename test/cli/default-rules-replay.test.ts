import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreTraceFiles } from '../../src/cli/score-command.js';
import type { ScoredSession } from '../../src/cli/score-command.js';
import { resolveConfig } from '../../src/config/service-config.js';
import { sessionSpans } from '../helpers/otel-session.js';
import type { SessionSpec, ToolCallSpec } from '../helpers/otel-session.js';

// A support/CRM deployment's catalog: the default rules only see categories, effects, sensitivity and cost.
const CATALOG = `
tools:
  read_entitlements: {category: identity, effect: read, sensitive: true}
  query_customer_pii: {category: pii_access, effect: read, sensitive: true}
  get_customer_record: {category: pii_access, effect: read, sensitive: true}
  get_record: {category: data_access, effect: read, sensitive: true}
  query_database: {category: data_access, effect: read}
  list_items: {category: data_access, effect: read}
  fetch_webpage: {category: data_access, effect: read}
  code_interpreter: {category: code_execution, effect: write}
  create_shareable_link: {category: external_communication, effect: send}
  post_to_slack: {category: external_communication, effect: send}
  send_message: {category: external_communication, effect: send}
  render_video: {category: other, effect: read, cost: 2}
  write_report: {category: file_write, effect: write}
`;

const calls = (...tools: string[]): ToolCallSpec[] => tools.map((tool, i) => ({ tool, args: { step: i } }));

/** Each named case: the attack, its benign variant, and the rule the attack must trip. */
const CASES: ReadonlyArray<{ name: string; rule: string; attack: ToolCallSpec[]; benign: ToolCallSpec[] }> = [
  {
    name: 'horizontal movement',
    rule: 'horizontal-movement',
    attack: ['hr-mcp', 'crm-mcp', 'vault-mcp', 'payroll-mcp'].map((server, i) => ({ tool: 'get_record', server, args: { id: i }, atMs: i * 10_000 })),
    benign: ['hr-mcp', 'crm-mcp', 'vault-mcp', 'hr-mcp'].map((server, i) => ({ tool: 'get_record', server, args: { id: i }, atMs: i * 10_000 })),
  },
  {
    name: 'data massage',
    rule: 'data-massage-entitlements-to-share',
    attack: calls('read_entitlements', 'query_customer_pii', 'code_interpreter', 'create_shareable_link'),
    benign: calls('read_entitlements', 'query_customer_pii', 'code_interpreter', 'write_report'),
  },
  {
    name: 'data access then external communication',
    rule: 'data-access-then-external-communication',
    attack: calls('query_database', 'post_to_slack'),
    benign: calls('post_to_slack', 'query_database'),
  },
  {
    name: 'denial of wallet',
    rule: 'denial-of-wallet-costly-loop',
    attack: Array.from({ length: 10 }, (_, i) => ({ tool: 'render_video', args: { frame: i }, atMs: i * 3_000 })),
    benign: Array.from({ length: 4 }, (_, i) => ({ tool: 'render_video', args: { frame: i }, atMs: i * 3_000 })),
  },
  {
    name: 'identical repeated calls',
    rule: 'identical-call-repetition',
    attack: Array.from({ length: 5 }, () => ({ tool: 'query_database', args: { sql: 'select 1' } })),
    benign: Array.from({ length: 5 }, (_, i) => ({ tool: 'query_database', args: { sql: `select ${i}` } })),
  },
  {
    name: 'toxic flow: untrusted content to private data to a public sink',
    rule: 'toxic-flow-untrusted-private-public',
    attack: calls('fetch_webpage', 'get_customer_record', 'send_message'),
    benign: calls('fetch_webpage', 'get_customer_record', 'write_report'),
  },
  {
    name: 'tool spam hiding a chain',
    rule: 'tool-spam-burst',
    attack: [
      ...Array.from({ length: 10 }, (_, i) => ({ tool: 'list_items', args: { page: i }, atMs: i * 20_000 })),
      ...Array.from({ length: 20 }, (_, i) => ({ tool: 'list_items', args: { page: 100 + i }, atMs: 200_000 + i * 200 })),
    ],
    benign: Array.from({ length: 120 }, (_, i) => ({ tool: 'list_items', args: { page: i }, atMs: i * 1_500 })),
  },
];

describe('default rules replayed as OTLP through chainwatch score', () => {
  let dir: string;
  let scored: Map<string, ScoredSession>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chainwatch-rules-'));
    const catalog = path.join(dir, 'tools.yaml');
    await writeFile(catalog, CATALOG);
    const lines = CASES.flatMap((c, i) =>
      (['attack', 'benign'] as const).map((variant) => {
        const spec: SessionSpec = { sessionId: `${variant}-${i}`, prompt: `case ${c.name}`, calls: c[variant] };
        return new TextDecoder().decode(JsonTraceSerializer.serializeRequest(sessionSpans(spec))!);
      }),
    );
    const traces = path.join(dir, 'traces.jsonl');
    await writeFile(traces, lines.join('\n'));
    const out = path.join(dir, 'scores.jsonl');
    await scoreTraceFiles({
      traces: [traces],
      out,
      config: resolveConfig({ useModel: false, catalogFile: catalog, sessionIdleTtlMs: 0 }),
      logger: pino({ level: 'silent' }),
      showProgress: false,
    });
    const text = await readFile(out, 'utf8');
    scored = new Map(text.trim().split('\n').map((line) => {
      const session = JSON.parse(line) as ScoredSession;
      return [session.session, session];
    }));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  CASES.forEach((c, i) => {
    it(`${c.name}: the attack trips ${c.rule}, the benign variant trips nothing`, () => {
      expect(scored.get(`attack-${i}`)!.findings.map((f) => f.id)).toContain(c.rule);
      expect(scored.get(`benign-${i}`)!.findings).toEqual([]);
    });
  });
});
