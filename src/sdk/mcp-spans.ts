import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, Link, Span, Tracer } from '@opentelemetry/api';
import { ATTESTATION_ATTRIBUTE } from '../detectors/identity/attestation-claims.js';
import { extractMcpContext, injectMcpContext } from './mcp-context.js';
import type { McpMeta } from './mcp-context.js';

/** One `tools/call`, as the MCP semantic conventions describe it. */
export interface McpToolCallDescription {
  readonly tool: string;
  readonly arguments?: unknown;
  /**
   * The agent's conversation (`gen_ai.conversation.id`), which chainwatch scores as one session: set
   * here, at span start, so an escalation sampler can see it.
   */
  readonly conversationId?: string;
  /** The MCP session of the client's connection to this server (`mcp.session.id`). */
  readonly sessionId?: string;
  /** The session's signed attestation: lets chainwatch verify the turn before its root span ends. */
  readonly attestation?: string;
  readonly requestId?: string | number;
  readonly serverAddress?: string;
  readonly userId?: string;
  /** `pipe` for stdio, `tcp` for Streamable HTTP. */
  readonly networkTransport?: string;
  readonly protocolVersion?: string;
}

export interface McpSpanOptions {
  /** Record arguments and results (`gen_ai.tool.call.arguments` / `.result`): opt-in, they may be sensitive. Default false. */
  readonly captureContent?: boolean;
}


/** The semconv attributes of an MCP tool call span: for instrumentations that do not set them. */
export function mcpToolCallAttributes(call: McpToolCallDescription, options: McpSpanOptions = {}): Attributes {
  return {
    'mcp.method.name': 'tools/call',
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': call.tool,
    ...(call.conversationId !== undefined ? { 'gen_ai.conversation.id': call.conversationId } : {}),
    ...(call.sessionId !== undefined ? { 'mcp.session.id': call.sessionId } : {}),
    ...(call.attestation !== undefined ? { [ATTESTATION_ATTRIBUTE]: call.attestation } : {}),
    ...(call.requestId !== undefined ? { 'jsonrpc.request.id': String(call.requestId) } : {}),
    ...(call.serverAddress !== undefined ? { 'server.address': call.serverAddress } : {}),
    ...(call.userId !== undefined ? { 'user.id': call.userId } : {}),
    ...(call.networkTransport !== undefined ? { 'network.transport': call.networkTransport } : {}),
    ...(call.protocolVersion !== undefined ? { 'mcp.protocol.version': call.protocolVersion } : {}),
    ...(options.captureContent === true && call.arguments !== undefined
      ? { 'gen_ai.tool.call.arguments': JSON.stringify(call.arguments) }
      : {}),
  };
}

/**
 * Runs a client's tool call inside a CLIENT span named `tools/call <tool>`; `run` gets the `_meta` to
 * send with the request (it carries the span's context) and returns the tool's result.
 */
export async function traceMcpToolCall<T>(
  tracer: Tracer,
  call: McpToolCallDescription,
  run: (meta: McpMeta, span: Span) => Promise<T>,
  options: McpSpanOptions = {},
): Promise<T> {
  const span = tracer.startSpan(`tools/call ${call.tool}`, { kind: SpanKind.CLIENT, attributes: mcpToolCallAttributes(call, options) });
  const active = trace.setSpan(context.active(), span);
  return finish(span, options, () => context.with(active, () => run(injectMcpContext({}, active), span)));
}

/**
 * Runs a server's tool handler inside a SERVER span whose parent is the client's span, read from the
 * request's `_meta`; the server's own ambient span, if any, is linked.
 */
export async function traceMcpToolHandler<T>(
  tracer: Tracer,
  call: McpToolCallDescription,
  meta: unknown,
  run: (span: Span) => Promise<T>,
  options: McpSpanOptions = {},
): Promise<T> {
  const ambient = trace.getSpanContext(context.active());
  const links: Link[] = ambient === undefined ? [] : [{ context: ambient }];
  const parent = extractMcpContext(meta);
  const span = tracer.startSpan(
    `tools/call ${call.tool}`,
    { kind: SpanKind.SERVER, attributes: mcpToolCallAttributes(call, options), links },
    parent,
  );
  return finish(span, options, () => context.with(trace.setSpan(parent, span), () => run(span)));
}

/** Ends the span with the result: an MCP `CallToolResult` with `isError` marks it failed (`tool_error`). */
async function finish<T>(span: Span, options: McpSpanOptions, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    if (typeof result === 'object' && result !== null && (result as { isError?: unknown }).isError === true) {
      span.setAttribute('error.type', 'tool_error');
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    if (options.captureContent === true) span.setAttribute('gen_ai.tool.call.result', resultText(result));
    return result;
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    span.recordException(failure);
    span.setAttribute('error.type', failure.name);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    throw error;
  } finally {
    span.end();
  }
}

/** The text parts of an MCP result, else its JSON. */
function resultText(result: unknown): string {
  const content = typeof result === 'object' && result !== null ? (result as { content?: unknown }).content : undefined;
  const texts = (Array.isArray(content) ? (content as unknown[]) : []).flatMap((part) =>
    typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'text' && typeof (part as { text?: unknown }).text === 'string'
      ? [(part as { text: string }).text]
      : [],
  );
  return texts.length > 0 ? texts.join('\n') : JSON.stringify(result);
}

/** The agent's turn in a session: the root span chainwatch reads the prompt, the user and the attestation from. */
export interface AgentSessionDescription {
  readonly sessionId: string;
  readonly agentName: string;
  readonly userId?: string;
  /** The user's prompt: recorded only with `captureContent`. */
  readonly prompt?: string;
  /** From `signSessionAttestation`, signed by the orchestrator. */
  readonly attestation?: string;
  readonly model?: string;
}

export function agentSessionAttributes(session: AgentSessionDescription, options: McpSpanOptions = {}): Attributes {
  return {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': session.agentName,
    'gen_ai.conversation.id': session.sessionId,
    ...(session.userId !== undefined ? { 'enduser.id': session.userId } : {}),
    ...(session.model !== undefined ? { 'gen_ai.request.model': session.model } : {}),
    ...(session.attestation !== undefined ? { [ATTESTATION_ATTRIBUTE]: session.attestation } : {}),
    ...(options.captureContent === true && session.prompt !== undefined
      ? { 'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: session.prompt }] }]) }
      : {}),
  };
}

/**
 * Starts the root span of one agent turn (`invoke_agent <agent>`), with the session id set at start so
 * an escalation sampler keeps every trace of an escalated session. End it when the turn ends.
 */
export function startAgentSessionSpan(tracer: Tracer, session: AgentSessionDescription, options: McpSpanOptions = {}): Span {
  return tracer.startSpan(`invoke_agent ${session.agentName}`, {
    kind: SpanKind.INTERNAL,
    attributes: agentSessionAttributes(session, options),
    root: true,
  });
}
