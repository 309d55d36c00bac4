import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { captureError } from '../../helpers/capture-error.js';
import {
  OtlpDecodeError,
  SpanKind,
  StatusCode,
  decodeOtlpJson,
  decodeOtlpProtobuf,
} from '../../../src/ingest/otlp/index.js';
import type { DecodedBatch, DecodedSpan } from '../../../src/ingest/otlp/index.js';
import {
  AGENT_END,
  AGENT_START,
  RICH_ATTRIBUTES,
  TOOL_ATTRIBUTES,
  TOOL_END,
  TOOL_START,
  expectedMs,
  sdkScenario,
  toJsonText,
  toProtobuf,
  withAttributes,
  withIds,
  withResource,
} from './otlp-fixtures.js';

const DATASET = new URL('../../../../shared/datasets/agentdojo-dev/traces.otlp.jsonl.gz', import.meta.url);

const formats = [
  { format: 'protobuf', decode: (spans: Parameters<typeof toProtobuf>[0]) => decodeOtlpProtobuf(toProtobuf(spans)) },
  { format: 'JSON', decode: (spans: Parameters<typeof toJsonText>[0]) => decodeOtlpJson(toJsonText(spans)) },
] as const;

function only(batch: DecodedBatch, spanId: string): DecodedSpan {
  const matches = batch.spans.filter((span) => span.spanId === spanId);
  expect(matches).toHaveLength(1);
  return matches[0]!;
}

describe.each(formats)('decoding SDK spans encoded as OTLP $format', ({ decode }) => {
  it('keeps ids, parents, names, kinds, times and status', async () => {
    const { spans, agent, tool, server } = await sdkScenario();
    const batch = decode(spans);
    expect(batch.rejected).toEqual([]);
    expect(batch.spans).toHaveLength(3);

    const agentSpan = only(batch, agent.spanContext().spanId);
    expect(agentSpan.traceId).toBe(agent.spanContext().traceId);
    expect(agentSpan.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(agentSpan.parentSpanId).toBe('');
    expect(agentSpan.name).toBe('invoke_agent workspace-assistant');
    expect(agentSpan.kind).toBe(SpanKind.INTERNAL);
    expect(agentSpan.startTimeMs).toBe(expectedMs(AGENT_START));
    expect(agentSpan.endTimeMs).toBe(expectedMs(AGENT_END));
    expect(agentSpan.statusCode).toBe(StatusCode.OK);

    const toolSpan = only(batch, tool.spanContext().spanId);
    expect(toolSpan.traceId).toBe(agentSpan.traceId);
    expect(toolSpan.parentSpanId).toBe(agentSpan.spanId);
    expect(toolSpan.kind).toBe(SpanKind.CLIENT);
    expect(toolSpan.startTimeMs).toBe(expectedMs(TOOL_START));
    expect(toolSpan.endTimeMs).toBe(expectedMs(TOOL_END));
    // The sub-millisecond part survives (a double near 1.8e12 resolves about 0.24 µs).
    expect(toolSpan.startTimeMs % 1000).toBeCloseTo(413.438285, 3);
    expect(toolSpan.statusCode).toBe(StatusCode.ERROR);
    expect(toolSpan.statusMessage).toBe('mailbox full');

    const serverSpan = only(batch, server.spanContext().spanId);
    expect(serverSpan.parentSpanId).toBe(toolSpan.spanId);
    expect(serverSpan.kind).toBe(SpanKind.SERVER);
    expect(serverSpan.statusCode).toBe(StatusCode.UNSET);
    expect(serverSpan.statusMessage).toBe('');
  });

  it('maps every attribute value type', async () => {
    const { spans, tool } = await sdkScenario();
    const toolSpan = only(decode(spans), tool.spanContext().spanId);
    expect(toolSpan.attributes).toEqual({
      ...TOOL_ATTRIBUTES,
      // Beyond 2^53 an int64 is kept exactly, as a decimal string.
      'big.counter': String(2 ** 53 + 2),
      ...RICH_ATTRIBUTES,
    });
    const bytes = toolSpan.attributes['payload.bytes'];
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(bytes)).toBe(false);
  });

  it('shares one resource among the spans of a ResourceSpans and keeps scope names', async () => {
    const { spans, agent, tool, server } = await sdkScenario();
    const batch = decode(spans);
    const agentSpan = only(batch, agent.spanContext().spanId);
    const toolSpan = only(batch, tool.spanContext().spanId);
    const serverSpan = only(batch, server.spanContext().spanId);
    expect(agentSpan.resource.serviceName).toBe('workspace-agent');
    expect(agentSpan.resource.attributes).toMatchObject({
      'service.name': 'workspace-agent',
      'service.version': '1.0',
      'process.pid': 4242,
    });
    expect(toolSpan.resource).toBe(agentSpan.resource);
    expect(serverSpan.resource).toBe(agentSpan.resource);
    expect(agentSpan.scopeName).toBe('agent-tracer');
    expect(toolSpan.scopeName).toBe('agent-tracer');
    expect(serverSpan.scopeName).toBe('mcp-tracer');
  });

  it('separates resources and names a service-less one unknown_service', async () => {
    const { agent, tool } = await sdkScenario();
    const batch = decode([agent, withResource(tool, { 'host.name': 'box-1' })]);
    const agentSpan = only(batch, agent.spanContext().spanId);
    const toolSpan = only(batch, tool.spanContext().spanId);
    expect(toolSpan.resource).not.toBe(agentSpan.resource);
    expect(toolSpan.resource).toEqual({ attributes: { 'host.name': 'box-1' }, serviceName: 'unknown_service' });
  });

  it('rejects only the spans with a bad id, naming where and why', async () => {
    const { agent, tool, server } = await sdkScenario();
    const batch = decode([
      agent,
      withIds(tool, { traceId: '0'.repeat(32) }),
      withIds(server, { spanId: 'abcd' }),
    ]);
    expect(batch.spans.map((span) => span.spanId)).toEqual([agent.spanContext().spanId]);
    expect(batch.rejected).toHaveLength(2);
    const reasons = batch.rejected.map((rejected) => `${rejected.path} ${rejected.reason}`);
    expect(reasons).toContainEqual(expect.stringMatching(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\] traceId: all zeros$/));
    expect(reasons).toContainEqual(expect.stringMatching(/^resourceSpans\[0\]\.scopeSpans\[1\]\.spans\[0\] spanId: .*expected/));
  });

  it('rejects a span whose attribute values nest too deep, keeping the others', async () => {
    const { agent, tool } = await sdkScenario();
    let deep: unknown = 'bottom';
    for (let level = 0; level < 40; level++) deep = [deep];
    const batch = decode([agent, withAttributes(tool, { fine: 1, deep })]);
    expect(batch.spans.map((span) => span.spanId)).toEqual([agent.spanContext().spanId]);
    expect(batch.rejected).toHaveLength(1);
    expect(batch.rejected[0]?.reason).toMatch(
      /^attributes\[1\]\.value(\.arrayValue\.values\[0\]){32}\.arrayValue: nested deeper than 32 levels$/,
    );
  });
});

describe('protobuf and JSON', () => {
  it('decode the same spans to the same result', async () => {
    const { spans } = await sdkScenario();
    expect(decodeOtlpJson(toJsonText(spans))).toEqual(decodeOtlpProtobuf(toProtobuf(spans)));
  });
});

describe('decodeOtlpJson on hand-written OTLP/JSON', () => {
  const traceId = '5b8efff798038103d269b633813fc60c';
  const spanId = 'eee19b7ec3c1b174';
  const request = (span: Record<string, unknown>, resourceAttributes: unknown[] = []): unknown => ({
    resourceSpans: [
      {
        resource: { attributes: resourceAttributes },
        scopeSpans: [{ scope: { name: 'hand' }, spans: [span] }],
      },
    ],
  });

  it('reads intValue as a number or a decimal string, and enum names', () => {
    const batch = decodeOtlpJson(
      request({
        traceId: traceId.toUpperCase(),
        spanId,
        parentSpanId: '',
        name: 'tools/call x',
        kind: 'SPAN_KIND_CLIENT',
        startTimeUnixNano: 1_544_712_660_000_000_000,
        endTimeUnixNano: '1544712661000000500',
        attributes: [
          { key: 'as.string', value: { intValue: '12' } },
          { key: 'as.number', value: { intValue: 13 } },
          { key: 'negative', value: { intValue: '-5' } },
          { key: 'max', value: { intValue: '9223372036854775807' } },
          { key: 'double.text', value: { doubleValue: '2.5' } },
          { key: 'not.a.number', value: { doubleValue: 'NaN' } },
          { key: 'empty', value: {} },
          { key: 'bytes', value: { bytesValue: 'AAEC' } },
        ],
        status: { code: 'STATUS_CODE_ERROR', message: 'denied' },
        events: [{ timeUnixNano: '1', name: 'ignored' }],
        links: [{ traceId, spanId }],
        someFutureField: { x: 1 },
      }),
    );
    expect(batch.rejected).toEqual([]);
    const [span] = batch.spans;
    expect(span).toMatchObject({
      traceId,
      spanId,
      parentSpanId: '',
      kind: SpanKind.CLIENT,
      startTimeMs: 1_544_712_660_000,
      endTimeMs: 1_544_712_661_000.0005,
      statusCode: StatusCode.ERROR,
      statusMessage: 'denied',
      scopeName: 'hand',
    });
    expect(span?.attributes).toEqual({
      'as.string': 12,
      'as.number': 13,
      negative: -5,
      max: '9223372036854775807',
      'double.text': 2.5,
      'not.a.number': Number.NaN,
      bytes: new Uint8Array([0, 1, 2]),
    });
    expect(span?.resource.serviceName).toBe('unknown_service');
  });

  it('accepts base64 ids, whose lengths never collide with hex', () => {
    const batch = decodeOtlpJson(
      request({
        traceId: Buffer.from(traceId, 'hex').toString('base64'),
        spanId: Buffer.from(spanId, 'hex').toString('base64url'),
      }),
    );
    expect(batch.rejected).toEqual([]);
    expect(batch.spans[0]).toMatchObject({ traceId, spanId });
  });

  it('treats an all-zero parentSpanId as none', () => {
    const batch = decodeOtlpJson(request({ traceId, spanId, parentSpanId: '0'.repeat(16) }));
    expect(batch.spans[0]?.parentSpanId).toBe('');
  });

  it.each([
    [{ spanId }, 'traceId: missing'],
    [{ traceId: traceId.slice(2), spanId }, 'traceId: expected 32 hex digits, got string'],
    [{ traceId, spanId: 'zzzzzzzzzzzzzzzz' }, 'spanId: expected 16 hex digits'],
    [{ traceId, spanId, parentSpanId: 'abc' }, 'parentSpanId: expected 16 hex digits or nothing'],
    [{ traceId, spanId, startTimeUnixNano: '12x' }, 'startTimeUnixNano: expected unsigned 64-bit nanoseconds'],
    [{ traceId, spanId, startTimeUnixNano: 1e300 }, 'startTimeUnixNano: expected unsigned 64-bit nanoseconds'],
    [{ traceId, spanId, kind: 'SERVER' }, 'kind: expected an integer or a kind name, got string "SERVER"'],
    [
      { traceId, spanId, attributes: [{ key: 'n', value: { intValue: '1.5' } }] },
      'attributes[0].value.intValue: expected an integer, got string "1.5"',
    ],
    [
      {
        traceId,
        spanId,
        attributes: [
          { key: 'ok', value: { stringValue: 'fine' } },
          { key: 'l', value: { arrayValue: { values: [{ stringValue: 'a' }, { kvlistValue: { values: [{ key: 'k', value: { boolValue: 'yes' } }] } }] } } },
        ],
      },
      'attributes[1].value.arrayValue.values[1].kvlistValue.values[0].value.boolValue: expected true or false, got string "yes"',
    ],
  ])('rejects a span with a bad field: %j', (span, reason) => {
    const good = { traceId, spanId: '1111111111111111', name: 'good' };
    const batch = decodeOtlpJson({
      resourceSpans: [{ scopeSpans: [{ spans: [good, span, good] }] }],
    });
    expect(batch.spans.map((decoded) => decoded.name)).toEqual(['good', 'good']);
    expect(batch.rejected).toEqual([
      { path: 'resourceSpans[0].scopeSpans[0].spans[1]', reason: expect.stringContaining(reason) },
    ]);
  });

  it('rejects a span whose attribute values nest too deep instead of recursing without end', () => {
    let value: unknown = { stringValue: 'bottom' };
    for (let level = 0; level < 40; level++) value = { arrayValue: { values: [value] } };
    const batch = decodeOtlpJson(request({ traceId, spanId, attributes: [{ key: 'deep', value }] }));
    expect(batch.spans).toEqual([]);
    expect(batch.rejected[0]?.reason).toMatch(/^attributes\[0\]\.value(\.arrayValue\.values\[0\])+\.arrayValue: nested deeper than 32 levels$/);
  });

  it('rejects every span under a resource it cannot decode, and keeps the other resources', () => {
    const badResource = request({ traceId, spanId }, [{ key: 'pid', value: { intValue: 'abc' } }]) as {
      resourceSpans: unknown[];
    };
    const goodResource = request({ traceId, spanId: '2222222222222222' }, [
      { key: 'service.name', value: { stringValue: 'fine' } },
    ]) as { resourceSpans: unknown[] };
    const batch = decodeOtlpJson({ resourceSpans: [...badResource.resourceSpans, ...goodResource.resourceSpans] });
    expect(batch.spans.map((span) => span.resource.serviceName)).toEqual(['fine']);
    expect(batch.rejected).toEqual([
      {
        path: 'resourceSpans[0].scopeSpans[0].spans[0]',
        reason: 'resource.attributes[0].value.intValue: expected an integer, got string "abc"',
      },
    ]);
  });

  it('reads a missing resourceSpans as an empty batch', () => {
    expect(decodeOtlpJson('{}')).toEqual({ spans: [], rejected: [] });
  });

  it('keeps a __proto__ attribute as data', () => {
    const batch = decodeOtlpJson(
      request({ traceId, spanId, attributes: [{ key: '__proto__', value: { stringValue: 'x' } }] }),
    );
    const attributes = batch.spans[0]?.attributes ?? {};
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(Object.entries(attributes)).toEqual([['__proto__', 'x']]);
  });
});

describe('whole-message failures', () => {
  it('throws OtlpDecodeError for truncated protobuf, naming the origin and the byte offset', async () => {
    const { spans } = await sdkScenario();
    const bytes = toProtobuf(spans);
    const error = captureError(() => decodeOtlpProtobuf(bytes.subarray(0, bytes.length - 10), 'http'));
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect(error.name).toBe('OtlpDecodeError');
    expect(error.message).toMatch(
      /^http: not a protobuf ExportTraceServiceRequest \(\d+ bytes\): .*byte offset \d+.*\(truncated or corrupt\)$/,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('throws OtlpDecodeError for garbage bytes', () => {
    const error = captureError(() => decodeOtlpProtobuf(new TextEncoder().encode('hello world')));
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect(error.message).toContain('invalid wire type 4 at byte offset 3');
  });

  it('throws OtlpDecodeError for JSON that does not parse, with the parser position', () => {
    const error = captureError(() => decodeOtlpJson('{"resourceSpans": [', 'file:x.jsonl:3'));
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect(error.message).toMatch(/^file:x\.jsonl:3: not valid JSON: /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('throws OtlpDecodeError for bytes passed where text or a parsed value belongs', () => {
    const error = captureError(() => decodeOtlpJson(Buffer.from('{}')));
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect(error.message).toBe('OTLP/JSON: expected an ExportTraceServiceRequest object, got a Buffer');
  });

  it.each([
    ['[]', 'OTLP/JSON: expected an ExportTraceServiceRequest object, got an array'],
    ['{"resourceSpans": {}}', 'OTLP/JSON: resourceSpans: expected an array, got an object'],
    ['{"resourceSpans": [{"scopeSpans": "x"}]}', 'OTLP/JSON: resourceSpans[0].scopeSpans: expected an array, got string "x"'],
    ['{"resourceSpans": [{"scopeSpans": [7]}]}', 'OTLP/JSON: resourceSpans[0].scopeSpans[0]: expected an object, got number 7'],
  ])('throws OtlpDecodeError naming the JSON path for %s', (text, message) => {
    const error = captureError(() => decodeOtlpJson(text));
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect(error.message).toBe(message);
  });
});

describe('the AgentDojo dataset', () => {
  it('decodes its first line completely', async () => {
    const text = await firstLine(DATASET);
    const raw = JSON.parse(text) as {
      resourceSpans: {
        scopeSpans: {
          spans: { traceId: string; spanId: string; parentSpanId?: string; startTimeUnixNano: string }[];
        }[];
      }[];
    };
    const rawSpans = raw.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    const batch = decodeOtlpJson(text);
    expect(batch.rejected).toEqual([]);
    expect(batch.spans).toHaveLength(rawSpans.length);
    batch.spans.forEach((span, index) => {
      const rawSpan = rawSpans[index]!;
      expect(span.traceId).toBe(rawSpan.traceId);
      expect(span.spanId).toBe(rawSpan.spanId);
      expect(span.parentSpanId).toBe(rawSpan.parentSpanId ?? '');
      const nanos = BigInt(rawSpan.startTimeUnixNano);
      expect(span.startTimeMs).toBe(Number(nanos / 1_000_000n) + Number(nanos % 1_000_000n) / 1e6);
      expect(span.resource.serviceName).toMatch(/-agent$/);
    });
  });
});


async function firstLine(path: URL): Promise<string> {
  const gunzip = createGunzip();
  // `pipe` does not forward a read error (a missing file): pass it on so the test fails, not hangs.
  const file = createReadStream(path).on('error', (error) => gunzip.destroy(error));
  const lines = createInterface({ input: file.pipe(gunzip), crlfDelay: Infinity });
  try {
    for await (const line of lines) return line;
  } finally {
    lines.close();
  }
  throw new Error(`${path.pathname} is empty`);
}
