import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface ToolCallSpec {
  readonly tool: string;
  readonly args?: Record<string, unknown>;
  readonly result?: string;
  readonly error?: string;
  /** Index of an earlier call this one is nested under (made while serving it). */
  readonly parent?: number;
  /** MCP server address; `tools-mcp.internal` by default. */
  readonly server?: string;
  /** Start, in ms after the session's start; 100 ms apart by default. */
  readonly atMs?: number;
}

export interface SessionSpec {
  readonly sessionId: string;
  readonly prompt: string;
  readonly userId?: string;
  readonly calls: readonly ToolCallSpec[];
  /** Span attributes added to the root span (e.g. an attestation). */
  readonly rootAttributes?: Attributes;
  readonly startMs?: number;
  /** Also the model call that asked for the first tool: a `chat` span with the input messages, ended before it. */
  readonly modelCall?: boolean;
}

/**
 * Spans of one agent session made by the real OpenTelemetry SDK with the GenAI/MCP semantic
 * conventions: a root `invoke_agent` span with the prompt and one CLIENT `tools/call` span per call,
 * which names its server connection's `mcp.session.id`, not the conversation.
 */
export function sessionSpans(spec: SessionSpec, serviceName = 'support-agent'): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('chainwatch-test');
  const start = spec.startMs ?? Date.now();
  const root = tracer.startSpan(
    'invoke_agent support-assistant',
    {
      kind: SpanKind.INTERNAL,
      startTime: start,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': 'support-assistant',
        'gen_ai.conversation.id': spec.sessionId,
        'enduser.id': spec.userId ?? 'alice',
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: spec.prompt }] }]),
        ...spec.rootAttributes,
      },
    },
    ROOT_CONTEXT,
  );
  const spans: ReturnType<typeof tracer.startSpan>[] = [];
  const startOf = (index: number): number => start + (spec.calls[index]!.atMs ?? 100 * (index + 1));
  if (spec.modelCall === true) {
    tracer
      .startSpan(
        'chat test-model',
        {
          kind: SpanKind.CLIENT,
          startTime: start + 1,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.conversation.id': spec.sessionId,
            'gen_ai.input.messages': JSON.stringify([
              { role: 'system', parts: [{ type: 'text', content: 'You are a support assistant.' }] },
              { role: 'user', parts: [{ type: 'text', content: spec.prompt }] },
            ]),
          },
        },
        trace.setSpan(ROOT_CONTEXT, root),
      )
      .end(spec.calls.length === 0 ? start + 2 : startOf(0) - 1);
  }
  spec.calls.forEach((call, index) => {
    const parent = call.parent === undefined ? root : spans[call.parent]!;
    const span = tracer.startSpan(
      `tools/call ${call.tool}`,
      {
        kind: SpanKind.CLIENT,
        startTime: startOf(index),
        attributes: {
          'mcp.method.name': 'tools/call',
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': call.tool,
          // Each MCP server connection has its own session id; the agent's root names the conversation.
          'mcp.session.id': `mcp-${call.server ?? 'tools-mcp.internal'}-${spec.sessionId}`,
          'jsonrpc.request.id': String(index),
          'server.address': call.server ?? 'tools-mcp.internal',
          'gen_ai.tool.call.arguments': JSON.stringify(call.args ?? {}),
          ...(call.result !== undefined ? { 'gen_ai.tool.call.result': call.result } : {}),
          ...(call.error !== undefined ? { 'error.type': 'tool_error' } : {}),
        },
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    if (call.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: call.error });
    spans.push(span);
  });
  spans.forEach((span, index) => span.end(startOf(index) + 1));
  root.end(Math.max(start, ...spec.calls.map((_, index) => startOf(index) + 1)) + 100);
  return exporter.getFinishedSpans();
}
