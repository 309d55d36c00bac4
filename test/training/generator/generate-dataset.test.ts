import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DATASET_FILES,
  generateDataset,
  injectionTask,
  LABEL_COLUMNS,
  LATERAL_MIN_SERVERS,
  serverAddress,
  toolSpec,
} from '../../../src/training/generator/index.js';
import type { DatasetSummary, GenerateDatasetOptions } from '../../../src/training/generator/index.js';

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  status: { code: number; message?: string };
}

interface Trace {
  resourceSpans: { resource: { attributes: KeyValue[] }; scopeSpans: { scope: { name: string }; spans: Span[] }[] }[];
}

type Row = Record<(typeof LABEL_COLUMNS)[number], string>;

const SESSIONS = 600;
const ATTACK_RATE = 0.3;
const dirs: string[] = [];

async function generate(seed: number): Promise<{ dir: string; summary: DatasetSummary }> {
  const dir = await mkdtemp(join(tmpdir(), 'cw-gen-'));
  dirs.push(dir);
  const options: GenerateDatasetOptions = { seed, sessions: SESSIONS, attackRate: ATTACK_RATE, outDir: dir };
  return { dir, summary: await generateDataset(options) };
}

async function readTraces(dir: string): Promise<{ lines: string[]; traces: Trace[] }> {
  const text = gunzipSync(await readFile(join(dir, DATASET_FILES.traces))).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  return { lines, traces: lines.map((line) => JSON.parse(line) as Trace) };
}

async function readLabels(dir: string): Promise<{ header: string; rows: Row[] }> {
  const [header, ...lines] = (await readFile(join(dir, DATASET_FILES.labels), 'utf8')).trimEnd().split('\n');
  const rows = lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(LABEL_COLUMNS.map((c, i) => [c, cells[i] ?? ''])) as Row;
  });
  return { header: header ?? '', rows };
}

function attr(span: Span, key: string): Record<string, unknown> | undefined {
  return span.attributes.find((a) => a.key === key)?.value;
}

function str(span: Span, key: string): string | undefined {
  const value = attr(span, key)?.['stringValue'];
  return typeof value === 'string' ? value : undefined;
}

function spansOf(trace: Trace): Span[] {
  return trace.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
}

function toolCalls(trace: Trace): Span[] {
  return spansOf(trace).filter((s) => str(s, 'mcp.method.name') === 'tools/call');
}

describe('generateDataset', () => {
  let first: { dir: string; summary: DatasetSummary };
  let again: { dir: string; summary: DatasetSummary };
  let other: { dir: string; summary: DatasetSummary };
  let traces: Trace[];
  let rows: Row[];
  let byTrace: Map<string, Trace>;

  beforeAll(async () => {
    first = await generate(11);
    again = await generate(11);
    other = await generate(12);
    traces = (await readTraces(first.dir)).traces;
    const labels = await readLabels(first.dir);
    expect(labels.header).toBe(LABEL_COLUMNS.join(','));
    rows = labels.rows;
    byTrace = new Map(traces.map((t) => [spansOf(t)[0]!.traceId, t]));
  });

  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('writes byte-identical files for the same seed', async () => {
    for (const file of Object.values(DATASET_FILES)) {
      const a = await readFile(join(first.dir, file));
      const b = await readFile(join(again.dir, file));
      expect(a.equals(b), file).toBe(true);
    }
  });

  it('writes different traces and labels for a different seed', async () => {
    for (const file of [DATASET_FILES.traces, DATASET_FILES.labels]) {
      const a = await readFile(join(first.dir, file));
      const b = await readFile(join(other.dir, file));
      expect(a.equals(b), file).toBe(false);
    }
  });

  it('writes one ExportTraceServiceRequest per session in the OTLP/JSON mapping', () => {
    expect(traces).toHaveLength(SESSIONS);
    for (const trace of traces) {
      expect(Object.keys(trace)).toEqual(['resourceSpans']);
      expect(trace.resourceSpans).toHaveLength(1);
      const resource = trace.resourceSpans[0]!;
      expect(resource.resource.attributes.map((a) => a.key)).toEqual([
        'service.name',
        'service.version',
        'deployment.environment',
      ]);
      expect(resource.scopeSpans).toHaveLength(1);
      expect(resource.scopeSpans[0]!.scope.name).toBe('enterprise-mcp-sim');
      const spans = spansOf(trace);
      const ids = new Set(spans.map((s) => s.spanId));
      expect(ids.size).toBe(spans.length);
      for (const span of spans) {
        expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(span.traceId).toBe(spans[0]!.traceId);
        expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
        expect(typeof span.startTimeUnixNano).toBe('string');
        expect(span.startTimeUnixNano).toMatch(/^\d{19}$/);
        expect(span.endTimeUnixNano).toMatch(/^\d{19}$/);
        expect(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano)).toBe(true);
        expect([1, 3]).toContain(span.kind);
        expect([1, 2]).toContain(span.status.code);
        if (span.status.code === 2) expect(typeof span.status.message).toBe('string');
        for (const { key, value } of [...span.attributes, ...resource.resource.attributes]) {
          expect(typeof key).toBe('string');
          const kinds = Object.keys(value);
          expect(kinds).toHaveLength(1);
          const kind = kinds[0]!;
          if (kind === 'stringValue') expect(typeof value[kind]).toBe('string');
          else if (kind === 'intValue') expect(value[kind]).toMatch(/^-?\d+$/);
          else throw new Error(`unexpected attribute value ${kind} on ${key}`);
        }
      }
      const [root, ...children] = spans;
      expect(root!.parentSpanId).toBeUndefined();
      expect(root!.kind).toBe(1);
      for (const child of children) {
        expect(child.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
        expect(ids.has(child.parentSpanId!)).toBe(true);
        expect(child.kind).toBe(3);
        expect(BigInt(child.startTimeUnixNano) >= BigInt(root!.startTimeUnixNano)).toBe(true);
        expect(BigInt(child.endTimeUnixNano) <= BigInt(root!.endTimeUnixNano)).toBe(true);
      }
    }
  });

  it('carries the GenAI and MCP semantic conventions', () => {
    for (const trace of traces) {
      const [root] = spansOf(trace);
      const session = str(root!, 'gen_ai.conversation.id');
      expect(session).toMatch(/^s-[0-9a-f]{16}$/);
      expect(root!.name).toBe(`invoke_agent ${str(root!, 'gen_ai.agent.name')}`);
      expect(str(root!, 'gen_ai.operation.name')).toBe('invoke_agent');
      expect(str(root!, 'enduser.id')).toMatch(/^user-[0-9a-f]{8}$/);
      const messages = JSON.parse(str(root!, 'gen_ai.input.messages')!) as {
        role: string;
        parts: { type: string; content: string }[];
      }[];
      expect(messages[0]!.role).toBe('user');
      expect(messages[0]!.parts[0]!.content.length).toBeGreaterThan(0);
      expect(messages[0]!.parts[0]!.content).not.toMatch(/\{\w+\}/);

      const calls = toolCalls(trace);
      calls.forEach((call, index) => {
        const tool = str(call, 'gen_ai.tool.name')!;
        expect(call.name).toBe(`tools/call ${tool}`);
        expect(str(call, 'gen_ai.operation.name')).toBe('execute_tool');
        expect(str(call, 'mcp.session.id')).toBe(session);
        expect(str(call, 'jsonrpc.request.id')).toBe(String(index));
        expect(str(call, 'server.address')).toBe(serverAddress(toolSpec(tool).family));
        expect(() => JSON.parse(str(call, 'gen_ai.tool.call.arguments')!)).not.toThrow();
        if (index > 0) expect(BigInt(call.startTimeUnixNano) > BigInt(calls[index - 1]!.startTimeUnixNano)).toBe(true);
        const result = str(call, 'gen_ai.tool.call.result');
        if (call.status.code === 2) {
          expect(['tool_error', 'timeout']).toContain(str(call, 'error.type'));
          expect(result).toBeUndefined();
        } else {
          expect(str(call, 'error.type')).toBeUndefined();
          expect(result!.length).toBeLessThanOrEqual(2000);
        }
      });
    }
  });

  it("lists tools with definitions of the server's tools", () => {
    const lists = traces.flatMap((t) => spansOf(t).filter((s) => s.name === 'tools/list'));
    expect(lists.length).toBeGreaterThan(0);
    for (const list of lists) {
      const definitions = JSON.parse(str(list, 'gen_ai.tool.definitions')!) as { type: string; name: string }[];
      expect(definitions.length).toBeGreaterThan(0);
      for (const d of definitions) expect(serverAddress(toolSpec(d.name).family)).toBe(str(list, 'server.address'));
    }
  });

  it('has nested calls: the sandbox calling other servers under run_python', () => {
    let nested = 0;
    for (const trace of traces) {
      const bySpan = new Map(spansOf(trace).map((s) => [s.spanId, s]));
      for (const call of toolCalls(trace)) {
        const parent = bySpan.get(call.parentSpanId!);
        if (parent !== undefined && str(parent, 'mcp.method.name') === 'tools/call') {
          expect(str(parent, 'gen_ai.tool.name')).toBe('run_python');
          expect(BigInt(call.startTimeUnixNano) >= BigInt(parent.startTimeUnixNano)).toBe(true);
          expect(BigInt(call.endTimeUnixNano) <= BigInt(parent.endTimeUnixNano)).toBe(true);
          nested++;
        }
      }
    }
    expect(nested).toBeGreaterThan(0);
    expect(first.summary.nestedCalls).toBe(nested);
  });

  it('has parallel calls that start within a few milliseconds', () => {
    const gaps = traces.flatMap((t) => {
      const calls = toolCalls(t);
      return calls
        .slice(1)
        .map((c, i) => Number(BigInt(c.startTimeUnixNano) - BigInt(calls[i]!.startTimeUnixNano)) / 1e6);
    });
    expect(gaps.filter((g) => g < 5).length).toBeGreaterThan(0);
  });

  it('fails some calls, with retries', () => {
    const calls = traces.flatMap(toolCalls);
    const failed = calls.filter((c) => c.status.code === 2);
    expect(failed.length).toBe(first.summary.failedCalls);
    expect(failed.length / calls.length).toBeGreaterThan(0.01);
    expect(failed.length / calls.length).toBeLessThan(0.06);
  });

  it('labels every trace once, with the requested label counts and splits', () => {
    expect(rows).toHaveLength(SESSIONS);
    expect(new Set(rows.map((r) => r.trace)).size).toBe(SESSIONS);
    for (const row of rows) {
      const trace = byTrace.get(row.trace);
      expect(trace).toBeDefined();
      expect(str(spansOf(trace!)[0]!, 'gen_ai.conversation.id')).toBe(row.session);
      expect(str(spansOf(trace!)[0]!, 'gen_ai.request.model')).toBe(row.model);
    }
    const attacked = Math.round(SESSIONS * ATTACK_RATE);
    const count = (label: string, split?: string): number =>
      rows.filter((r) => r.label === label && (split === undefined || r.split === split)).length;
    expect(count('benign')).toBe(SESSIONS - attacked);
    expect(count('attack_success') + count('attack_failed')).toBe(attacked);
    expect(count('attack_success')).toBeGreaterThan(count('attack_failed'));
    expect(count('attack_success', 'train') + count('attack_failed', 'train')).toBe(0);
    expect(count('benign', 'train')).toBeGreaterThan(0.4 * count('benign'));
    expect(count('benign', 'train')).toBeLessThan(0.6 * count('benign'));
    for (const label of ['benign', 'attack_success', 'attack_failed'] as const) {
      expect(first.summary.labels[label].train + first.summary.labels[label].test).toBe(count(label));
      expect(first.summary.labels[label].train).toBe(count(label, 'train'));
    }
    for (const row of rows) {
      if (row.label === 'benign') {
        expect([row.attack, row.injection_task, row.inj_seen, row.first_harmful_call]).toEqual(['', '', '', '']);
      } else {
        expect(row.attack).not.toBe('');
        expect(() => injectionTask(row.injection_task)).not.toThrow();
        expect(['true', 'false']).toContain(row.inj_seen);
      }
      if (row.label !== 'attack_success') expect(row.first_harmful_call).toBe('');
    }
  });

  it('points first_harmful_call at a call of a harm tool of the injection task', () => {
    const successes = rows.filter((r) => r.label === 'attack_success');
    expect(successes.length).toBeGreaterThan(0);
    for (const row of successes) {
      expect(row.first_harmful_call).toMatch(/^\d+$/);
      const calls = toolCalls(byTrace.get(row.trace)!);
      const index = Number(row.first_harmful_call);
      expect(index).toBeLessThan(calls.length);
      const tool = str(calls[index]!, 'gen_ai.tool.name')!;
      expect(injectionTask(row.injection_task).harmTools).toContain(tool);
      const spec = toolSpec(tool);
      expect(
        spec.sensitive || spec.cost > 0 || spec.category === 'external_communication' || spec.category === 'financial',
      ).toBe(true);
      // An injected instruction has to be read before it is followed.
      if (row.inj_seen === 'true') expect(index).toBeGreaterThan(0);
    }
  });

  it('makes lateral sweeps reach several sensitive servers within a minute', () => {
    const sweeps = rows.filter((r) => r.label === 'attack_success' && r.attack === 'lateral_movement');
    expect(sweeps.length).toBeGreaterThan(0);
    for (const row of sweeps) {
      const sensitive = toolCalls(byTrace.get(row.trace)!)
        .filter((c) => toolSpec(str(c, 'gen_ai.tool.name')!).sensitive)
        .map((c) => ({ at: BigInt(c.startTimeUnixNano), server: str(c, 'server.address')! }));
      const widest = Math.max(
        ...sensitive.map(
          (a) =>
            new Set(sensitive.filter((b) => b.at >= a.at && b.at - a.at <= 60_000_000_000n).map((b) => b.server)).size,
        ),
      );
      expect(widest).toBeGreaterThanOrEqual(LATERAL_MIN_SERVERS);
    }
  });

  it('makes denial-of-wallet sessions repeat one costly call with identical arguments', () => {
    const loops = rows.filter((r) => r.label === 'attack_success' && r.attack === 'denial_of_wallet');
    expect(loops.length).toBeGreaterThan(0);
    for (const row of loops) {
      const repeats = new Map<string, number>();
      for (const call of toolCalls(byTrace.get(row.trace)!)) {
        const key = `${str(call, 'gen_ai.tool.name')} ${str(call, 'gen_ai.tool.call.arguments')}`;
        repeats.set(key, (repeats.get(key) ?? 0) + 1);
      }
      const [top, times] = [...repeats.entries()].sort((a, b) => b[1] - a[1])[0]!;
      expect(times).toBeGreaterThanOrEqual(10);
      expect(toolSpec(top.split(' ')[0]!).cost).toBeGreaterThan(0);
    }
  });

  it('writes a tool catalog that covers every tool in the traces', async () => {
    const catalog = parse(await readFile(join(first.dir, DATASET_FILES.catalog), 'utf8')) as {
      tools: Record<string, { category: string; effect: string }>;
    };
    for (const tool of new Set(traces.flatMap(toolCalls).map((c) => str(c, 'gen_ai.tool.name')!))) {
      expect(catalog.tools[tool]).toBeDefined();
    }
  });

  it('rejects bad options, naming the option', async () => {
    await expect(generateDataset({ seed: 1.5, sessions: 10, outDir: '/tmp/x' })).rejects.toThrow(/seed/);
    await expect(generateDataset({ seed: 1, sessions: 0, outDir: '/tmp/x' })).rejects.toThrow(/sessions/);
    await expect(generateDataset({ seed: 1, sessions: 10, attackRate: 2, outDir: '/tmp/x' })).rejects.toThrow(
      /attackRate/,
    );
    await expect(generateDataset({ seed: 1, sessions: 10, outDir: '' })).rejects.toThrow(/outDir/);
  });
});
