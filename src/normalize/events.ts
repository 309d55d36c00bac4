import type { Attributes, SpanKind } from '../ingest/otlp/types.js';

export const TOOL_CATEGORIES = [
  'data_access',
  'pii_access',
  'external_communication',
  'code_execution',
  'file_write',
  'financial',
  'identity',
  'other',
] as const;
export type ToolCategory = (typeof TOOL_CATEGORIES)[number];

export const TOOL_EFFECTS = ['read', 'write', 'delete', 'send'] as const;
export type ToolEffect = (typeof TOOL_EFFECTS)[number];

/** Which instrumentation convention a span was read with. */
export type Convention = 'semconv' | 'mcp-draft' | 'openinference' | 'traceloop';

/** What the catalog (or inference from the name) says about a tool. */
export interface ToolClass {
  readonly category: ToolCategory;
  readonly effect: ToolEffect;
  readonly sensitive: boolean;
  /** Cost of one call, in the deployment's unit; 0 when unknown. */
  readonly cost: number;
  /** True when no catalog entry matched and the class was guessed from the name. */
  readonly inferred: boolean;
}

/**
 * What a session key is: the agent's `conversation` (gen_ai.conversation.id, session.id, Traceloop's
 * session_id), an MCP `transport` session (mcp.session.id: one client-server connection, so one agent
 * conversation spans one per server, and a long-lived connection may carry many conversations), or
 * the `trace` id when the span names neither.
 */
export type SessionKeyKind = 'conversation' | 'transport' | 'trace';

/** The conversation is the unit of behaviour: a chain crosses servers, so it outranks the transport. */
export const SESSION_KEY_RANK: Readonly<Record<SessionKeyKind, number>> = { trace: 0, transport: 1, conversation: 2 };

/** Fields every normalized event carries. */
export interface EventBase {
  readonly sessionId: string;
  /** What named `sessionId`; a trace's weaker keys defer to its strongest (see `SESSION_KEY_RANK`). */
  readonly sessionKey: SessionKeyKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  /** The producer's `service.name`. */
  readonly service: string;
  readonly startTimeMs: number;
  readonly convention: Convention;
}

/** One MCP `tools/call` (or an instrumentation's tool span). */
export interface ToolCallEvent extends EventBase {
  readonly type: 'tool_call';
  readonly spanKind: SpanKind;
  readonly tool: string;
  /** MCP server the call went to (`server.address` / `mcp.server.name`), '' when unknown. */
  readonly server: string;
  readonly toolClass: ToolClass;
  /** Parsed arguments: a JSON value when the producer sent JSON, else the raw string; null when not recorded. */
  readonly arguments: unknown;
  /** The tool's result text, '' when not recorded. */
  readonly result: string;
  readonly status: 'ok' | 'error';
  readonly errorType: string;
  readonly durationMs: number;
  /** JSON-RPC request id, '' when absent. */
  readonly requestId: string;
  /** `user.id` / `enduser.id` as the span claims it: not proof of anything by itself. */
  readonly userId: string;
  /**
   * The session's signed attestation when the calling agent put it on the span (`chainwatch.attestation`)
   * or its resource, '' when absent: a turn can then be verified before its root span, which ends last.
   */
  readonly attestation: string;
}

/** The agent or session span that roots a session: where the prompt and identity come from. */
export interface SessionRootEvent extends EventBase {
  readonly type: 'session_root';
  /** The user prompt that started the session, '' when not recorded. */
  readonly prompt: string;
  readonly userId: string;
  readonly agentName: string;
  readonly model: string;
  /** A signed attestation (`chainwatch.attestation`), '' when absent. */
  readonly attestation: string;
  readonly status: 'ok' | 'error';
  readonly durationMs: number;
}

/**
 * The user's prompt as a model call saw it, before the agent's root span (which ends last) brings it:
 * what a session is for is known from its first call on. The root's prompt, when it comes, prevails.
 */
export interface SessionPromptEvent extends EventBase {
  readonly type: 'session_prompt';
  readonly prompt: string;
}

export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
}

/** A `tools/list` answer: feeds the per-service tool catalog. */
export interface ToolListEvent extends EventBase {
  readonly type: 'tool_list';
  readonly server: string;
  readonly tools: readonly ToolDefinition[];
}

export type NormalizedEvent = ToolCallEvent | SessionRootEvent | SessionPromptEvent | ToolListEvent;

/** Resource attributes are kept out of events; this is what normalization needs of them. */
export type ResourceAttributes = Attributes;
