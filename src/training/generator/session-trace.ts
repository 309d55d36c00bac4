import {
  int,
  OTLP_SPAN_KIND_CLIENT,
  OTLP_SPAN_KIND_INTERNAL,
  OTLP_STATUS_ERROR,
  OTLP_STATUS_OK,
  str,
  unixNano,
} from './otlp-json.js';
import type { OtlpExportTraceServiceRequest, OtlpKeyValue, OtlpSpan } from './otlp-json.js';
import type { RecordedCall } from './session-builder.js';
import { serverAddress, toolDefinitions } from './tool-catalog.js';
import type { ServerFamily } from './tool-catalog.js';

/** One session as one OTLP ExportTraceServiceRequest, with the GenAI and MCP semantic conventions. */

const SCOPE_NAME = 'enterprise-mcp-sim';
const DEPLOYMENT_ENVIRONMENT = 'production';
const MCP_PORT = 443;

export interface ToolListCall {
  readonly spanId: string;
  readonly family: ServerFamily;
  readonly startMs: number;
  readonly endMs: number;
}

export interface SessionTraceInput {
  readonly traceId: string;
  readonly rootSpanId: string;
  readonly sessionId: string;
  readonly service: string;
  readonly serviceVersion: string;
  readonly model: string;
  readonly userId: string;
  readonly prompt: string;
  /** Root span start, ns since the epoch; every other time is an offset from it in ms. */
  readonly startNs: bigint;
  readonly endMs: number;
  /** tools/call spans in start-time order: their index is their `jsonrpc.request.id`. */
  readonly calls: readonly RecordedCall[];
  readonly toolLists: readonly ToolListCall[];
  /** Message of an agent-level failure (the run stopped), or null. */
  readonly agentError: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export function sessionTrace(input: SessionTraceInput): OtlpExportTraceServiceRequest {
  const { traceId, sessionId, startNs } = input;
  const rootAttributes: OtlpKeyValue[] = [
    str('gen_ai.operation.name', 'invoke_agent'),
    str('gen_ai.agent.name', input.service),
    str('gen_ai.conversation.id', sessionId),
    str('gen_ai.request.model', input.model),
    str('enduser.id', input.userId),
    str('gen_ai.input.messages', JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: input.prompt }] }])),
    int('gen_ai.usage.input_tokens', input.inputTokens),
    int('gen_ai.usage.output_tokens', input.outputTokens),
  ];
  if (input.agentError !== null) rootAttributes.push(str('error.type', 'agent_error'));
  const spans: OtlpSpan[] = [
    {
      traceId,
      spanId: input.rootSpanId,
      name: `invoke_agent ${input.service}`,
      kind: OTLP_SPAN_KIND_INTERNAL,
      startTimeUnixNano: unixNano(startNs, 0),
      endTimeUnixNano: unixNano(startNs, input.endMs),
      attributes: rootAttributes,
      status:
        input.agentError === null ? { code: OTLP_STATUS_OK } : { code: OTLP_STATUS_ERROR, message: input.agentError },
    },
  ];
  input.toolLists.forEach((list, i) => {
    spans.push({
      traceId,
      spanId: list.spanId,
      parentSpanId: input.rootSpanId,
      name: 'tools/list',
      kind: OTLP_SPAN_KIND_CLIENT,
      startTimeUnixNano: unixNano(startNs, list.startMs),
      endTimeUnixNano: unixNano(startNs, list.endMs),
      attributes: [
        str('mcp.method.name', 'tools/list'),
        str('mcp.session.id', sessionId),
        str('jsonrpc.request.id', `list-${i}`),
        str('server.address', serverAddress(list.family)),
        int('server.port', MCP_PORT),
        str('network.transport', 'tcp'),
        str('gen_ai.tool.definitions', JSON.stringify(toolDefinitions(list.family))),
      ],
      status: { code: OTLP_STATUS_OK },
    });
  });
  input.calls.forEach((call, index) => {
    const attributes: OtlpKeyValue[] = [
      str('mcp.method.name', 'tools/call'),
      str('gen_ai.operation.name', 'execute_tool'),
      str('gen_ai.tool.name', call.tool),
      str('mcp.session.id', sessionId),
      str('jsonrpc.request.id', String(index)),
      str('server.address', serverAddress(call.family)),
      int('server.port', MCP_PORT),
      str('network.transport', 'tcp'),
      str('gen_ai.tool.call.arguments', call.argumentsJson),
    ];
    if (call.result !== null) attributes.push(str('gen_ai.tool.call.result', call.result));
    if (call.error !== null) attributes.push(str('error.type', call.error.type));
    spans.push({
      traceId,
      spanId: call.spanId,
      parentSpanId: call.parentSpanId ?? input.rootSpanId,
      name: `tools/call ${call.tool}`,
      kind: OTLP_SPAN_KIND_CLIENT,
      startTimeUnixNano: unixNano(startNs, call.startMs),
      endTimeUnixNano: unixNano(startNs, call.endMs),
      attributes,
      status: call.error === null ? { code: OTLP_STATUS_OK } : { code: OTLP_STATUS_ERROR, message: call.error.message },
    });
  });
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            str('service.name', input.service),
            str('service.version', input.serviceVersion),
            str('deployment.environment', DEPLOYMENT_ENVIRONMENT),
          ],
        },
        scopeSpans: [{ scope: { name: SCOPE_NAME }, spans }],
      },
    ],
  };
}
