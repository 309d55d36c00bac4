import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreTraceFiles } from '../../src/cli/score-command.js';
import type { ScoredSession } from '../../src/cli/score-command.js';
import { resolveConfig } from '../../src/config/service-config.js';
import { sessionSpans } from '../helpers/otel-session.js';
import type { ToolCallSpec } from '../helpers/otel-session.js';

/** Private data read, processed by code and shared by a link: the bundled chain rule fires at the link. */
const exfiltration: ToolCallSpec[] = [
  { tool: 'search_docs', args: { q: 'open tickets' } },
  { tool: 'query_customer_pii', args: { customer: 'ACME' }, result: 'alice@acme.test' },
  { tool: 'run_python', args: { code: 'print(rows)' } },
  { tool: 'create_shareable_link', args: { file: 'rows.csv' } },
];

const line = (spans: ReadableSpan[]): string => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!);

describe('chainwatch score', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chainwatch-score-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an output path it cannot write before loading anything, naming it', async () => {
    await expect(
      scoreTraceFiles({
        traces: [path.join(dir, 'none.jsonl')],
        out: path.join(dir, 'no-such-dir', 'scores.jsonl'),
        config: resolveConfig({ useModel: false }),
        logger: pino({ level: 'silent' }),
        showProgress: false,
      }),
    ).rejects.toThrow(/--out: ENOENT.*no-such-dir/);
  });

  it('replays OTLP/JSON lines through the pipeline and writes one line per session', async () => {
    const exfil = sessionSpans({
      sessionId: 'exfil',
      prompt: 'summarize the open tickets',
      calls: exfiltration,
    });
    const calm = sessionSpans({ sessionId: 'calm', prompt: 'find the runbook', calls: [{ tool: 'search_docs', args: { q: 'runbook' } }] });
    // The exfiltration session arrives in two lines, its last call first: order comes from start times.
    const byName = (name: string) => exfil.filter((span) => span.name.endsWith(name));
    const late = byName('create_shareable_link');
    const rest = exfil.filter((span) => !late.includes(span));
    const file = path.join(dir, 'traces.otlp.jsonl.gz');
    await writeFile(file, gzipSync([line(late), 'this is not JSON', '', line(calm), line(rest)].join('\n')));
    const out = path.join(dir, 'scores.jsonl');
    const summary = await scoreTraceFiles({
      traces: [file],
      out,
      config: resolveConfig({ useModel: false, sessionIdleTtlMs: 0 }),
      logger: pino({ level: 'silent' }),
      showProgress: false,
    });
    expect(summary).toMatchObject({ sessions: 2, badLines: 1, rejectedSpans: 0 });
    const scored = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as ScoredSession);
    expect(scored.map((s) => s.session).sort()).toEqual(['calm', 'exfil']);
    const bad = scored.find((s) => s.session === 'exfil')!;
    const ok = scored.find((s) => s.session === 'calm')!;
    expect(Object.keys(bad).sort()).toEqual(['calls', 'escalated', 'findings', 'firstAlertCallIndex', 'level', 'score', 'session', 'traceIds'].sort());
    // In session order although the last call came first; effects from the catalog or inferred from names.
    expect(bad.calls.map((c) => c.tool)).toEqual(['search_docs', 'query_customer_pii', 'run_python', 'create_shareable_link']);
    expect(ok.calls).toEqual([{ tool: 'search_docs', effect: 'read', outbound: false }]);
    // A shareable link goes outside: marked, so evaluation counts it as a side effect.
    expect(bad.calls.map((c) => c.outbound)).toEqual([false, false, false, true]);
    expect(bad.traceIds).toEqual([exfil[0]!.spanContext().traceId]);
    expect(bad.score).toBeGreaterThan(0.6);
    expect(bad.escalated).toBe(true);
    expect(bad.firstAlertCallIndex).toBe(3);
    const chain = bad.findings.find((f) => f.severity === 'critical');
    expect(chain).toMatchObject({ detector: 'rules', callIndex: 3 });
    expect(chain!.message.length).toBeGreaterThan(20);
    expect(ok).toMatchObject({ score: 0, level: 'none', escalated: false, firstAlertCallIndex: null, findings: [] });
  });

  it('with --live, feeds spans in the order they end and says where the alert came as the session streamed', async () => {
    const exfil = sessionSpans({
      sessionId: 'exfil-live',
      prompt: 'summarize the open tickets',
      calls: exfiltration,
    });
    const calm = sessionSpans({ sessionId: 'calm-live', prompt: 'find the runbook', calls: [{ tool: 'search_docs', args: { q: 'runbook' } }] });
    const file = path.join(dir, 'live.otlp.jsonl');
    await writeFile(file, [line(exfil), line(calm)].join('\n'));
    const score = async (live: boolean) => {
      const out = path.join(dir, `live-${live}.jsonl`);
      await scoreTraceFiles({ traces: [file], out, config: resolveConfig({ useModel: false, sessionIdleTtlMs: 0 }), logger: pino({ level: 'silent' }), showProgress: false, live });
      return new Map(
        (await readFile(out, 'utf8'))
          .trim()
          .split('\n')
          .map((text) => JSON.parse(text) as ScoredSession)
          .map((s) => [s.session, s]),
      );
    };
    const [streamed, batched] = [await score(true), await score(false)];
    // The chain completes with the fourth call's span, which came before the root span.
    expect(streamed.get('exfil-live')!.liveAlertCallIndex).toBe(3);
    expect(streamed.get('calm-live')!.liveAlertCallIndex).toBeNull();
    expect(batched.get('exfil-live')).not.toHaveProperty('liveAlertCallIndex');
    // Once every span is in, the session is scored as a batch would score it: evidence joined by trace
    // moved with its calls from the MCP session they were first filed under (worded from there).
    const evidence = (s: ScoredSession) => ({ ...s, liveAlertCallIndex: undefined, findings: s.findings.map(({ message: _m, ...f }) => f) });
    for (const id of ['exfil-live', 'calm-live']) expect(evidence(streamed.get(id)!)).toEqual(evidence(batched.get(id)!));
  });
});
