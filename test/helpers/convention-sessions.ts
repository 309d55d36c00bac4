import type { Attributes, DecodedSpan } from '../../src/ingest/otlp/types.js';
import { SpanKind, StatusCode } from '../../src/ingest/otlp/types.js';
import type { ToolDefinition } from '../../src/normalize/events.js';
import { TEST_START_MS, decodedResource, decodedSpan } from './decoded-span.js';

/*
 * One agent session, and how each instrumentation convention writes it as spans. The spans follow
 * what the instrumentations emit (see the readers in src/normalize/conventions/ for the sources).
 */

export interface ScenarioCall {
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly tool: string;
  /** Lower-case keys: the MCP draft convention lower-cases argument names. */
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly result: string;
  readonly requestId: string;
  readonly failed: boolean;
  readonly startMs: number;
  readonly endMs: number;
}

export interface Scenario {
  readonly traceId: string;
  readonly service: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly agentName: string;
  readonly model: string;
  readonly prompt: string;
  readonly attestation: string;
  readonly server: string;
  readonly root: { readonly spanId: string; readonly startMs: number; readonly endMs: number };
  readonly toolList: { readonly spanId: string; readonly startMs: number; readonly endMs: number };
  /** The model call that asks for the first tool: it ends before the calls, and its input holds the prompt. */
  readonly modelCall: { readonly spanId: string; readonly startMs: number; readonly endMs: number };
  readonly systemPrompt: string;
  readonly tools: readonly ToolDefinition[];
  readonly calls: readonly ScenarioCall[];
}

const T0 = TEST_START_MS;

/**
 * A travel booking: the agent lists tools, finds hotels, tries to reserve one (the tool fails), and the
 * reservation tool itself looks up a loyalty account (a call nested in a tool's span).
 */
export const SCENARIO: Scenario = {
  traceId: '7d1e62b1c3a94f0e9b8f4a2c6d5e3f10',
  service: 'travel-agent',
  sessionId: 's-3d93e8cefd788330',
  userId: 'user-fcf85724',
  agentName: 'travel-assistant',
  model: 'gpt-4o-2024-05-13',
  prompt: 'Book the cheapest hotel in Paris for May 3 and tell me the confirmation.',
  attestation: 'v1.eyJzdWIiOiJ1c2VyLWZjZjg1NzI0In0.c2lnbmF0dXJl',
  server: 'travel-mcp.internal',
  root: { spanId: '1000000000000001', startMs: T0, endMs: T0 + 9_000.5 },
  toolList: { spanId: '1000000000000002', startMs: T0 + 10, endMs: T0 + 40 },
  modelCall: { spanId: '10000000000000f2', startMs: T0 + 50, endMs: T0 + 900 },
  systemPrompt: 'You are a travel assistant.',
  tools: [
    { name: 'get_all_hotels_in_city', description: 'Get all hotels in the given city.' },
    { name: 'reserve_hotel', description: 'Makes a reservation for a hotel with the provided details.' },
    { name: 'lookup_loyalty_account', description: "Returns the customer's loyalty account and points." },
  ],
  calls: [
    {
      spanId: '1000000000000003',
      parentSpanId: '1000000000000001',
      tool: 'get_all_hotels_in_city',
      arguments: { city: 'Paris' },
      result: 'Le Marais Boutique\nGood Night Hotel\n"Luxury" Palace',
      requestId: '0',
      failed: false,
      startMs: T0 + 1_000,
      endMs: T0 + 1_250.25,
    },
    {
      spanId: '1000000000000004',
      parentSpanId: '1000000000000001',
      tool: 'reserve_hotel',
      arguments: { hotel: 'Good Night Hotel', start_day: '2024-05-03', end_day: '2024-05-04', guests: 2 },
      result: 'Error: no rooms available on 2024-05-03',
      requestId: '1',
      failed: true,
      startMs: T0 + 2_000,
      endMs: T0 + 2_700,
    },
    {
      spanId: '1000000000000005',
      parentSpanId: '1000000000000004',
      tool: 'lookup_loyalty_account',
      arguments: { customer_id: 'cust-19', include_history: false },
      result: 'points: 1200',
      requestId: '2',
      failed: false,
      startMs: T0 + 2_100,
      endMs: T0 + 2_180,
    },
  ],
};

const RESOURCE = decodedResource(SCENARIO.service, { 'service.version': '1.0' });

function span(
  spanId: string,
  parentSpanId: string,
  name: string,
  kind: DecodedSpan['kind'],
  times: { readonly startMs: number; readonly endMs: number },
  attributes: Attributes,
  failure?: string,
): DecodedSpan {
  return decodedSpan({
    traceId: SCENARIO.traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    startTimeMs: times.startMs,
    endTimeMs: times.endMs,
    attributes,
    statusCode: failure === undefined ? StatusCode.OK : StatusCode.ERROR,
    statusMessage: failure ?? '',
    resource: RESOURCE,
  });
}

/** A span no convention claims (an HTTP client call), then the model call, as the convention writes it. */
function httpAndModelCall(modelCallAttributes: Attributes): DecodedSpan[] {
  const s = SCENARIO;
  return [
    span('10000000000000f1', s.root.spanId, 'POST', SpanKind.CLIENT, { startMs: T0 + 5, endMs: T0 + 9 }, {
      'http.request.method': 'POST',
      'url.full': 'https://api.openai.com/v1/chat/completions',
    }),
    span(s.modelCall.spanId, s.root.spanId, 'chat gpt-4o', SpanKind.CLIENT, s.modelCall, modelCallAttributes),
  ];
}

/** The semconv model call (GenAI instrumentations with content capture on). */
function semconvModelCall(): Attributes {
  const s = SCENARIO;
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': s.model,
    'gen_ai.conversation.id': s.sessionId,
    'gen_ai.input.messages': JSON.stringify([
      { role: 'system', parts: [{ type: 'text', content: s.systemPrompt }] },
      { role: 'user', parts: [{ type: 'text', content: s.prompt }] },
    ]),
  };
}

/** OpenTelemetry semconv, as the AgentDojo dataset writes it (MCP client spans plus a GenAI agent span). */
export function semconvSpans(): DecodedSpan[] {
  const s = SCENARIO;
  return [
    semconvRoot(),
    span(s.toolList.spanId, s.root.spanId, 'tools/list', SpanKind.CLIENT, s.toolList, {
      'mcp.method.name': 'tools/list',
      'mcp.session.id': s.sessionId,
      'jsonrpc.request.id': 'list-0',
      'server.address': s.server,
      'gen_ai.tool.definitions': JSON.stringify(s.tools.map((tool) => ({ type: 'function', ...tool }))),
    }),
    ...s.calls.map((call) =>
      span(
        call.spanId,
        call.parentSpanId,
        `tools/call ${call.tool}`,
        SpanKind.CLIENT,
        { startMs: call.startMs, endMs: call.endMs },
        {
          'mcp.method.name': 'tools/call',
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': call.tool,
          'mcp.session.id': s.sessionId,
          'jsonrpc.request.id': call.requestId,
          'server.address': s.server,
          'network.transport': 'tcp',
          'enduser.id': s.userId,
          'gen_ai.tool.call.arguments': JSON.stringify(call.arguments),
          'gen_ai.tool.call.result': call.result,
          ...(call.failed ? { 'error.type': 'tool_error' } : {}),
        },
        call.failed ? call.result : undefined,
      ),
    ),
    ...httpAndModelCall(semconvModelCall()),
  ];
}

export function semconvRoot(): DecodedSpan {
  const s = SCENARIO;
  return span(s.root.spanId, '', `invoke_agent ${s.agentName}`, SpanKind.INTERNAL, s.root, {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': s.agentName,
    'gen_ai.conversation.id': s.sessionId,
    'gen_ai.request.model': s.model,
    'enduser.id': s.userId,
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: s.prompt }] }]),
    'chainwatch.attestation': s.attestation,
  });
}

/**
 * The draft MCP names as Sentry's MCP server integration writes them. It instruments MCP servers only:
 * no agent span (the session's root comes from the agent's own GenAI instrumentation), and its
 * `tools/list` span carries no definitions.
 */
export function mcpDraftSpans(): DecodedSpan[] {
  const s = SCENARIO;
  return [
    semconvRoot(),
    span(s.toolList.spanId, s.root.spanId, 'tools/list', SpanKind.SERVER, s.toolList, {
      'mcp.method.name': 'tools/list',
      'mcp.request.id': 'list-0',
      'mcp.session.id': s.sessionId,
      'mcp.server.name': s.server,
      'mcp.transport': 'http',
    }),
    ...s.calls.map((call) => {
      const attributes: Record<string, string | number | boolean> = {
        'mcp.method.name': 'tools/call',
        'mcp.tool.name': call.tool,
        'mcp.request.id': call.requestId,
        'mcp.session.id': s.sessionId,
        'mcp.server.name': s.server,
        'mcp.transport': 'http',
        'mcp.tool.result.content_count': 1,
        'mcp.tool.result.content_type': 'text',
        'mcp.tool.result.content': call.result,
        'mcp.tool.result.is_error': call.failed,
      };
      for (const [name, value] of Object.entries(call.arguments)) {
        attributes[`mcp.request.argument.${name}`] = JSON.stringify(value);
      }
      return span(
        call.spanId,
        call.parentSpanId,
        `tools/call ${call.tool}`,
        SpanKind.SERVER,
        { startMs: call.startMs, endMs: call.endMs },
        attributes,
        call.failed ? call.result : undefined,
      );
    }),
    ...httpAndModelCall(semconvModelCall()),
  ];
}

/**
 * OpenInference: an AGENT span, TOOL spans, and the LLM span whose advertised tools (`llm.tools`) stand
 * in for `tools/list`. `session.id` / `user.id` are set on every span (`using_session`, `using_user`).
 */
export function openInferenceSpans(): DecodedSpan[] {
  const s = SCENARIO;
  const context = { 'session.id': s.sessionId, 'user.id': s.userId };
  const advertised: Record<string, string> = {};
  s.tools.forEach((tool, i) => {
    advertised[`llm.tools.${i}.tool.name`] = tool.name;
    advertised[`llm.tools.${i}.tool.description`] = tool.description;
  });
  return [
    span(s.root.spanId, '', s.agentName, SpanKind.INTERNAL, s.root, {
      'openinference.span.kind': 'AGENT',
      'agent.name': s.agentName,
      'input.value': JSON.stringify({
        messages: [
          { role: 'system', content: s.systemPrompt },
          { role: 'user', content: s.prompt },
        ],
      }),
      'input.mime_type': 'application/json',
      'chainwatch.attestation': s.attestation,
      ...context,
    }),
    span(s.toolList.spanId, s.root.spanId, 'ChatCompletion', SpanKind.INTERNAL, s.toolList, {
      'openinference.span.kind': 'LLM',
      'llm.model_name': s.model,
      ...advertised,
      ...context,
    }),
    ...s.calls.map((call) =>
      span(
        call.spanId,
        call.parentSpanId,
        call.tool,
        SpanKind.INTERNAL,
        { startMs: call.startMs, endMs: call.endMs },
        {
          'openinference.span.kind': 'TOOL',
          'tool.name': call.tool,
          'tool.description': s.tools.find((tool) => tool.name === call.tool)?.description ?? '',
          'tool.id': `call_${call.requestId}`,
          'tool.parameters': '{"type": "object"}',
          'input.value': JSON.stringify(call.arguments),
          'input.mime_type': 'application/json',
          'output.value': call.result,
          ...context,
        },
        call.failed ? call.result : undefined,
      ),
    ),
    ...httpAndModelCall({
      'openinference.span.kind': 'LLM',
      'llm.model_name': s.model,
      'llm.input_messages.0.message.role': 'system',
      'llm.input_messages.0.message.content': s.systemPrompt,
      'llm.input_messages.1.message.role': 'user',
      'llm.input_messages.1.message.contents.0.message_content.type': 'text',
      'llm.input_messages.1.message.contents.0.message_content.text': s.prompt,
      ...context,
    }),
  ];
}

/** The Traceloop session span that @traceloop/instrumentation-mcp opens on `connect`. */
export const TRACELOOP_MCP_SESSION_SPAN_ID = '10000000000000e1';

/**
 * Traceloop: a workflow span (SDK decorator) for the agent, the MCP instrumentation's
 * `mcp.client.session` span with the `tools/list` and `tools/call` spans under it, and a decorator
 * tool (`withTool`) for the nested call. Association properties carry the user, not the session.
 */
export function traceloopSpans(): DecodedSpan[] {
  const s = SCENARIO;
  const association = { 'traceloop.association.properties.user_id': s.userId };
  const mcpClient = { 'traceloop.workflow.name': `${s.service}.mcp`, ...association };
  return [
    span(s.root.spanId, '', `${s.agentName}.workflow`, SpanKind.INTERNAL, s.root, {
      'traceloop.span.kind': 'workflow',
      'traceloop.entity.name': s.agentName,
      'traceloop.workflow.name': s.agentName,
      'traceloop.entity.path': '',
      'traceloop.entity.input': JSON.stringify({ args: [s.prompt], kwargs: {} }),
      'chainwatch.attestation': s.attestation,
      ...association,
    }),
    span(TRACELOOP_MCP_SESSION_SPAN_ID, s.root.spanId, 'mcp.client.session', SpanKind.CLIENT, { startMs: T0 + 8, endMs: T0 + 8_000 }, {
      'traceloop.span.kind': 'session',
      'traceloop.entity.name': 'mcp.client.session',
      ...mcpClient,
    }),
    span(s.toolList.spanId, TRACELOOP_MCP_SESSION_SPAN_ID, 'tools/list.mcp', SpanKind.CLIENT, s.toolList, {
      'traceloop.span.kind': 'unknown',
      'traceloop.entity.name': 'tools/list',
      'traceloop.entity.output': JSON.stringify({ tools: s.tools }),
      ...mcpClient,
    }),
    ...s.calls.map((call) => {
      // The agent's calls go through the MCP client; the nested one is a decorated function.
      const viaMcp = call.parentSpanId === s.root.spanId;
      return span(
        call.spanId,
        viaMcp ? TRACELOOP_MCP_SESSION_SPAN_ID : call.parentSpanId,
        `${call.tool}.tool`,
        viaMcp ? SpanKind.CLIENT : SpanKind.INTERNAL,
        { startMs: call.startMs, endMs: call.endMs },
        viaMcp
          ? {
              'traceloop.span.kind': 'tool',
              'traceloop.entity.name': call.tool,
              'traceloop.entity.input': JSON.stringify({ tool_name: call.tool, arguments: call.arguments }),
              'traceloop.entity.output': JSON.stringify({ result: call.result, is_error: call.failed }),
              ...mcpClient,
            }
          : {
              'traceloop.span.kind': 'tool',
              'traceloop.entity.name': call.tool,
              'traceloop.entity.path': 'reserve_hotel',
              'traceloop.entity.input': JSON.stringify({ args: [], kwargs: call.arguments }),
              'traceloop.entity.output': JSON.stringify(call.result),
              'traceloop.workflow.name': s.agentName,
              ...association,
            },
        call.failed ? call.result : undefined,
      );
    }),
    ...httpAndModelCall({
      'llm.request.type': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': s.model,
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': s.systemPrompt,
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': s.prompt,
      ...association,
    }),
  ];
}
