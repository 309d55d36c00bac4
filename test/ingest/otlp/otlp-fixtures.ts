import { ROOT_CONTEXT, SpanKind as ApiSpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes as ApiAttributes, HrTime } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** Spans made by the real OpenTelemetry SDK, and their OTLP encodings by the real OTLP exporter code. */

export const AGENT_START: HrTime = [1_793_612_112, 587_202_263];
export const AGENT_END: HrTime = [1_793_612_115, 979_202_262];
export const TOOL_START: HrTime = [1_793_612_113, 413_438_285];
export const TOOL_END: HrTime = [1_793_612_113, 483_067_466];

/** Values the SDK API cannot set (it takes primitives and flat arrays) but OTLP carries. */
export const RICH_ATTRIBUTES = {
  'gen_ai.tool.call.arguments': { to: 'mallory@example.com', retries: 3, nested: { ok: true } },
  'payload.bytes': new Uint8Array([0, 1, 2, 250, 255]),
  'mixed.list': ['a', 1, { b: false }],
} as const;

export const TOOL_ATTRIBUTES = {
  'gen_ai.tool.name': 'send_email',
  'jsonrpc.request.id': '0',
  'retry.count': 42,
  'offset.negative': -7,
  'big.counter': 2 ** 53 + 2,
  'gen_ai.request.temperature': 0.25,
  'tool.dangerous': true,
  'recipients': ['alice@example.com', 'bob@example.com'],
  'ports': [22, 443],
  'flags': [true, false],
} satisfies ApiAttributes;

export interface SdkScenario {
  /** Agent span, tool span (scope `agent-tracer`), server span (scope `mcp-tracer`); one resource. */
  readonly spans: ReadableSpan[];
  readonly agent: ReadableSpan;
  readonly tool: ReadableSpan;
  readonly server: ReadableSpan;
}

export async function sdkScenario(): Promise<SdkScenario> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'workspace-agent',
      'service.version': '1.0',
      'process.pid': 4242,
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const agentTracer = provider.getTracer('agent-tracer', '2.0.0');
  const mcpTracer = provider.getTracer('mcp-tracer');

  const agent = agentTracer.startSpan('invoke_agent workspace-assistant', {
    kind: ApiSpanKind.INTERNAL,
    startTime: AGENT_START,
    attributes: { 'gen_ai.operation.name': 'invoke_agent' },
  });
  const underAgent = trace.setSpan(ROOT_CONTEXT, agent);
  const tool = agentTracer.startSpan(
    'tools/call send_email',
    {
      kind: ApiSpanKind.CLIENT,
      startTime: TOOL_START,
      attributes: TOOL_ATTRIBUTES,
      links: [{ context: agent.spanContext(), attributes: { 'link.reason': 'caused-by' } }],
    },
    underAgent,
  );
  tool.addEvent('retry', { attempt: 2 }, TOOL_START);
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'mailbox full' });
  tool.end(TOOL_END);
  const server = mcpTracer.startSpan(
    'tools/call send_email',
    { kind: ApiSpanKind.SERVER, startTime: TOOL_START },
    trace.setSpan(ROOT_CONTEXT, tool),
  );
  server.end(TOOL_END);
  agent.setStatus({ code: SpanStatusCode.OK });
  agent.end(AGENT_END);

  await provider.forceFlush();
  const finished = exporter.getFinishedSpans();
  await provider.shutdown();
  const byId = (id: string): ReadableSpan => {
    const span = finished.find((candidate) => candidate.spanContext().spanId === id);
    if (span === undefined) throw new Error(`span ${id} was not exported`);
    return span;
  };
  const toolSpan = withAttributes(byId(tool.spanContext().spanId), {
    ...TOOL_ATTRIBUTES,
    ...RICH_ATTRIBUTES,
  });
  const agentSpan = byId(agent.spanContext().spanId);
  const serverSpan = byId(server.spanContext().spanId);
  return { spans: [agentSpan, toolSpan, serverSpan], agent: agentSpan, tool: toolSpan, server: serverSpan };
}

/** A copy of a finished span with other attributes (any OTLP value) or other ids. */
export function withAttributes(span: ReadableSpan, attributes: Record<string, unknown>): ReadableSpan {
  return copySpan(span, { attributes: attributes as ApiAttributes });
}

export function withIds(span: ReadableSpan, ids: { traceId?: string; spanId?: string }): ReadableSpan {
  return copySpan(span, { ids });
}

export function withResource(span: ReadableSpan, attributes: ApiAttributes): ReadableSpan {
  return copySpan(span, { resource: resourceFromAttributes(attributes) });
}

function copySpan(
  span: ReadableSpan,
  changes: {
    attributes?: ApiAttributes;
    ids?: { traceId?: string; spanId?: string };
    resource?: ReadableSpan['resource'];
  },
): ReadableSpan {
  const context = { ...span.spanContext(), ...changes.ids };
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => context,
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: changes.attributes ?? span.attributes,
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: changes.resource ?? span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

export function toProtobuf(spans: ReadableSpan[]): Uint8Array {
  const bytes = ProtobufTraceSerializer.serializeRequest(spans);
  if (bytes === undefined) throw new Error('the protobuf serializer returned nothing');
  return bytes;
}

export function toJsonText(spans: ReadableSpan[]): string {
  const bytes = JsonTraceSerializer.serializeRequest(spans);
  if (bytes === undefined) throw new Error('the JSON serializer returned nothing');
  return new TextDecoder().decode(bytes);
}

/** Milliseconds for an HrTime, worked out with BigInt: whole milliseconds plus the nanosecond rest. */
export function expectedMs(time: HrTime): number {
  const nanos = BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
  return Number(nanos / 1_000_000n) + Number(nanos % 1_000_000n) / 1e6;
}
