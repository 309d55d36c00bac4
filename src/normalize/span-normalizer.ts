import type { Attributes, DecodedSpan, RejectedSpan } from '../ingest/otlp/types.js';
import { StatusCode } from '../ingest/otlp/types.js';
import { ATTESTATION_ATTRIBUTE } from '../detectors/identity/attestation-claims.js';
import { textAttribute } from './conventions/attribute-values.js';
import { mcpDraft } from './conventions/mcp-draft.js';
import { openInference } from './conventions/openinference.js';
import { semconv } from './conventions/semconv.js';
import type { ConventionReader, InferenceReading, RootReading, SpanReading, ToolCallReading, ToolListReading } from './conventions/span-reading.js';
import { traceloop } from './conventions/traceloop.js';
import type {
  Convention,
  EventBase,
  NormalizedEvent,
  SessionKeyKind,
  SessionPromptEvent,
  SessionRootEvent,
  ToolCallEvent,
  ToolListEvent,
} from './events.js';
import type { ToolCatalog } from './tool-catalog.js';
import { boundedText, TEXT_LIMITS } from './bounded-text.js';

/** Tried in this order; the first whose markers a span carries reads it. */
const CONVENTIONS: readonly ConventionReader[] = [semconv, mcpDraft, openInference, traceloop];

export interface NormalizeResult {
  readonly events: NormalizedEvent[];
  /** Spans of a known convention that cannot be used (a tool call without a tool name), with why. */
  readonly rejected: RejectedSpan[];
  /** Spans of no interest: HTTP, model calls that record neither prompt nor tools, chains and agents nested in another agent's span. */
  readonly ignored: number;
}

interface ConventionRead {
  readonly convention: Convention;
  readonly reading: SpanReading;
}

/**
 * Turns decoded spans of any supported convention into tool-call, session-root, session-prompt and
 * tool-list events.
 * Stateless apart from the catalog's caches (tool classes, learned `tools/list` definitions); never
 * throws: a span it cannot use is rejected with a reason and the others go on.
 */
export class SpanNormalizer {
  constructor(private readonly catalog: ToolCatalog) {}

  normalize(spans: readonly DecodedSpan[]): NormalizeResult {
    const events: NormalizedEvent[] = [];
    const rejected: RejectedSpan[] = [];
    let ignored = 0;

    // First pass: read every span, learn tool definitions before any call of the batch is classified,
    // and note which spans are agents' or tools' (a root candidate under one of them is nested).
    const reads: (ConventionRead | undefined)[] = new Array<ConventionRead | undefined>(spans.length);
    const agentSpanIds = new Set<string>();
    let rootWithParent = false;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i]!;
      const read = readSpan(span);
      reads[i] = read;
      const reading = read?.reading;
      if (reading === undefined) continue;
      if (reading.role === 'tool_call' || reading.role === 'root') {
        agentSpanIds.add(span.spanId);
        if (reading.role === 'root' && span.parentSpanId !== '') rootWithParent = true;
      } else if ((reading.role === 'tool_list' || reading.role === 'inference') && reading.tools.length > 0) {
        this.catalog.learnDefinitions(boundedText(span.resource.serviceName, TEXT_LIMITS.identifier), reading.tools);
      }
    }
    const batchSpanIds = rootWithParent ? new Set(spans.map((span) => span.spanId)) : undefined;

    for (let i = 0; i < spans.length; i++) {
      const span = spans[i]!;
      const read = reads[i];
      if (read === undefined) {
        ignored++;
        continue;
      }
      const { reading, convention } = read;
      try {
        switch (reading.role) {
          case 'unusable':
            rejected.push({ path: spanPath(span), reason: reading.reason });
            break;
          case 'tool_call':
            events.push(this.toolCall(span, reading, convention));
            break;
          case 'root':
            if (rootsSession(span, reading, agentSpanIds, batchSpanIds)) events.push(sessionRoot(span, reading, convention));
            else ignored++;
            break;
          case 'tool_list':
            events.push(toolList(span, reading, convention));
            break;
          case 'inference':
            if (reading.tools.length > 0) events.push(toolList(span, { role: 'tool_list', server: '', tools: reading.tools }, convention));
            if (reading.prompt !== '') events.push(sessionPrompt(span, reading, convention));
            else if (reading.tools.length === 0) ignored++;
            break;
        }
      } catch (error) {
        rejected.push({ path: spanPath(span), reason: `cannot normalize: ${errorMessage(error)}` });
      }
    }
    return { events, rejected, ignored };
  }

  private toolCall(span: DecodedSpan, reading: ToolCallReading, convention: Convention): ToolCallEvent {
    const attributes = span.attributes;
    const base = eventBase(span, sessionKeyOf(attributes), convention);
    const tool = boundedText(reading.tool, TEXT_LIMITS.toolName);
    const description = boundedText(reading.description, TEXT_LIMITS.description) || this.catalog.learnedDescription(base.service, tool);
    const errorType = textAttribute(attributes, 'error.type');
    const failed = reading.toolError || errorType !== '' || span.statusCode === StatusCode.ERROR;
    return {
      type: 'tool_call',
      ...base,
      spanKind: span.kind,
      tool,
      server: boundedText(reading.server, TEXT_LIMITS.toolName) || this.catalog.serverOf(tool),
      toolClass: this.catalog.classify(tool, description),
      arguments: reading.arguments,
      result: reading.result,
      status: failed ? 'error' : 'ok',
      // `tool_error` is what the MCP conventions name an isError result; `_OTHER` their fallback class.
      errorType: errorType || (reading.toolError ? 'tool_error' : failed ? '_OTHER' : ''),
      durationMs: durationOf(span),
      requestId: reading.requestId,
      userId: userOf(attributes),
      attestation: attestationOf(span),
    };
  }
}

function readSpan(span: DecodedSpan): ConventionRead | undefined {
  for (const reader of CONVENTIONS) {
    try {
      const reading = reader.read(span);
      if (reading !== null) return { convention: reader.convention, reading };
    } catch (error) {
      return {
        convention: reader.convention,
        reading: { role: 'unusable', reason: `cannot read as ${reader.convention}: ${errorMessage(error)}` },
      };
    }
  }
  return undefined;
}

/**
 * Whether an agent/chain/workflow span roots its session: when it has no parent, when its parent is not
 * in this batch (not known), or when the parent is something other than an agent's or tool's span
 * (an HTTP server span around the agent). One nested in another agent or tool span does not.
 */
function rootsSession(
  span: DecodedSpan,
  reading: RootReading,
  agentSpanIds: ReadonlySet<string>,
  batchSpanIds: ReadonlySet<string> | undefined,
): boolean {
  if (span.parentSpanId === '') return true;
  if (reading.onlyWithoutParent) return false;
  if (batchSpanIds === undefined || !batchSpanIds.has(span.parentSpanId)) return true;
  return !agentSpanIds.has(span.parentSpanId);
}

/** What every event of a span shares; the trace id stands in for a missing session key. */
function eventBase(span: DecodedSpan, key: SessionKeyReading, convention: Convention): EventBase {
  return {
    sessionId: key.id || span.traceId,
    sessionKey: key.kind,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    service: boundedText(span.resource.serviceName, TEXT_LIMITS.identifier),
    startTimeMs: span.startTimeMs,
    convention,
  };
}

function sessionRoot(span: DecodedSpan, reading: RootReading, convention: Convention): SessionRootEvent {
  const attributes = span.attributes;
  const sessionKey = sessionKeyOf(attributes);
  const failed = span.statusCode === StatusCode.ERROR || attributes['error.type'] !== undefined;
  return {
    type: 'session_root',
    ...eventBase(span, sessionKey, convention),
    prompt: boundedText(reading.prompt, TEXT_LIMITS.prompt),
    userId: userOf(attributes),
    agentName: reading.agentName,
    model: reading.model,
    attestation: attestationOf(span),
    status: failed ? 'error' : 'ok',
    durationMs: durationOf(span),
  };
}

function sessionPrompt(span: DecodedSpan, reading: InferenceReading, convention: Convention): SessionPromptEvent {
  return { type: 'session_prompt', ...eventBase(span, sessionKeyOf(span.attributes), convention), prompt: boundedText(reading.prompt, TEXT_LIMITS.prompt) };
}

function toolList(span: DecodedSpan, reading: ToolListReading, convention: Convention): ToolListEvent {
  const sessionKey = sessionKeyOf(span.attributes);
  return {
    type: 'tool_list',
    ...eventBase(span, sessionKey, convention),
    server: reading.server,
    tools: reading.tools,
  };
}

interface SessionKeyReading {
  /** '' when the span names no session: the trace id stands in. */
  readonly id: string;
  readonly kind: SessionKeyKind;
}

/** The session key a span names: its conversation when it names one, else its MCP transport session. */
function sessionKeyOf(attributes: Attributes): SessionKeyReading {
  const conversation =
    textAttribute(attributes, 'gen_ai.conversation.id') ||
    textAttribute(attributes, 'session.id') ||
    textAttribute(attributes, 'traceloop.association.properties.session_id');
  if (conversation !== '') return { id: boundedText(conversation, TEXT_LIMITS.identifier), kind: 'conversation' };
  const transport = textAttribute(attributes, 'mcp.session.id');
  return transport !== '' ? { id: boundedText(transport, TEXT_LIMITS.identifier), kind: 'transport' } : { id: '', kind: 'trace' };
}

function attestationOf(span: DecodedSpan): string {
  const token = textAttribute(span.attributes, ATTESTATION_ATTRIBUTE) || textAttribute(span.resource.attributes, ATTESTATION_ATTRIBUTE);
  return boundedText(token, TEXT_LIMITS.attestation);
}

function userOf(attributes: Attributes): string {
  const user =
    textAttribute(attributes, 'user.id') ||
    textAttribute(attributes, 'enduser.id') ||
    textAttribute(attributes, 'traceloop.association.properties.user_id');
  return boundedText(user, TEXT_LIMITS.identifier);
}

function durationOf(span: DecodedSpan): number {
  return Math.max(0, span.endTimeMs - span.startTimeMs);
}

function spanPath(span: DecodedSpan): string {
  return `trace ${span.traceId} span ${span.spanId} (${span.name})`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
