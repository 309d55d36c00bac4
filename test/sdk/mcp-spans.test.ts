import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createToolsServer } from '../../examples/mcp-agent/tools-server.js';
import { extractMcpContext, injectMcpContext, startAgentSessionSpan, traceMcpToolCall } from '../../src/sdk/index.js';

describe('MCP context propagation and span helpers', () => {
  // As an application sets it up: the Node SDK's provider registers the async context manager and W3C propagation.
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('t');
  beforeAll(() => {
    // Whatever an earlier test file registered in this worker must not shadow this provider's setup.
    trace.disable();
    context.disable();
    propagation.disable();
    provider.register();
  });
  beforeEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('carries traceparent in params._meta, unprefixed, and reads it back', () => {
    const span = tracer.startSpan('client');
    const meta = injectMcpContext({ 'io.example/other': 1 }, trace.setSpan(context.active(), span));
    expect(meta).toMatchObject({ 'io.example/other': 1, traceparent: `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01` });
    expect(trace.getSpanContext(extractMcpContext(meta))).toMatchObject({ traceId: span.spanContext().traceId, isRemote: true });
    expect(extractMcpContext(undefined)).toBe(context.active());
  });

  it("joins the server's tool span to the client's trace over a real MCP transport, with semconv attributes", async () => {
    const server = createToolsServer(tracer);
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name: 'agent', version: '1' });
    await client.connect(clientTransport);

    const root = startAgentSessionSpan(tracer, { sessionId: 's-1', agentName: 'support-assistant', userId: 'alice', prompt: 'hi', attestation: 'token' });
    await context.with(trace.setSpan(context.active(), root), () =>
      traceMcpToolCall(tracer, { tool: 'search_docs', arguments: { query: 'q' }, conversationId: 's-1', sessionId: 'mcp-9', attestation: 'token', requestId: 7 }, (meta) =>
        client.callTool({ name: 'search_docs', arguments: { query: 'q' }, _meta: meta }),
      ),
    );
    root.end();
    await client.close();

    const spans = exporter.getFinishedSpans();
    const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(serverSpan.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(clientSpan.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(clientSpan.name).toBe('tools/call search_docs');
    expect(clientSpan.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search_docs',
      'gen_ai.conversation.id': 's-1',
      'mcp.session.id': 'mcp-9',
      'chainwatch.attestation': 'token',
      'jsonrpc.request.id': '7',
    });
    // The server captures content (the example opts in); the client here does not.
    expect(serverSpan.attributes).toMatchObject({ 'gen_ai.tool.call.arguments': '{"query":"q"}', 'gen_ai.tool.call.result': '3 documents match "q"' });
    const rootSpan = spans.find((s) => s.name === 'invoke_agent support-assistant')!;
    expect(rootSpan.attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support-assistant',
      'gen_ai.conversation.id': 's-1',
      'enduser.id': 'alice',
      'chainwatch.attestation': 'token',
    });
  });

  it('marks a tool error result and a thrown error on the span', async () => {
    await traceMcpToolCall(tracer, { tool: 'run_python' }, async () => ({ isError: true, content: [] }));
    await expect(traceMcpToolCall(tracer, { tool: 'run_python' }, async () => Promise.reject(new TypeError('boom')))).rejects.toThrow('boom');
    const [toolError, thrown] = exporter.getFinishedSpans();
    expect(toolError!.attributes['error.type']).toBe('tool_error');
    expect(thrown!.attributes['error.type']).toBe('TypeError');
    expect(thrown!.status).toMatchObject({ code: 2, message: 'boom' });
  });
});
