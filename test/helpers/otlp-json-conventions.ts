/*
 * Rewrites an agent session written with the OpenTelemetry GenAI/MCP semantic conventions (as the
 * AgentDojo development set and the enterprise set write it: an `invoke_agent` root and one
 * `tools/call` client span per call) into what OpenInference or Traceloop instrumentation would emit
 * for the same run, in the OTLP/JSON mapping. The attribute layout follows `convention-sessions.ts`.
 */

import {
  OTLP_SPAN_KIND_CLIENT as SPAN_KIND_CLIENT,
  OTLP_SPAN_KIND_INTERNAL as SPAN_KIND_INTERNAL,
  OTLP_STATUS_ERROR as STATUS_ERROR,
  OTLP_STATUS_OK as STATUS_OK,
} from '../../src/training/generator/index.js';
import type { OtlpExportTraceServiceRequest, OtlpKeyValue, OtlpSpan } from '../../src/training/generator/index.js';

export type RewrittenConvention = 'openinference' | 'traceloop';

function attributeMap(span: OtlpSpan): Map<string, string> {
  return new Map(span.attributes.map((a) => [a.key, 'stringValue' in a.value ? a.value.stringValue : String(Object.values(a.value)[0])]));
}

function keyValues(values: Record<string, string | undefined>): OtlpKeyValue[] {
  return Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => ({ key, value: { stringValue: value } }));
}

/** The user's prompt from `gen_ai.input.messages` (the first text part of the first user message). */
function promptOf(messages: string | undefined): string {
  const parsed = JSON.parse(messages ?? '[]') as Array<{ role: string; parts: Array<{ type: string; content: string }> }>;
  return parsed.find((m) => m.role === 'user')?.parts.find((p) => p.type === 'text')?.content ?? '';
}

function rewriteSpans(spans: readonly OtlpSpan[], convention: RewrittenConvention): OtlpSpan[] {
  const root = spans.find((span) => span.parentSpanId === undefined || span.parentSpanId === '');
  if (root === undefined) throw new Error('rewrite: a session without a root span');
  const rootAttributes = attributeMap(root);
  const agent = rootAttributes.get('gen_ai.agent.name') ?? 'agent';
  const session = rootAttributes.get('gen_ai.conversation.id');
  const user = rootAttributes.get('enduser.id');
  const prompt = promptOf(rootAttributes.get('gen_ai.input.messages'));
  // OpenInference sets session and user on every span; Traceloop's association properties carry the user only.
  const context = convention === 'openinference' ? { 'session.id': session, 'user.id': user } : { 'traceloop.association.properties.user_id': user };
  const mcpSessionSpanId = `${root.spanId.slice(0, 8)}e1e1e1e1`;
  const out: OtlpSpan[] = [];
  for (const span of spans) {
    if (span === root) {
      out.push(
        convention === 'openinference'
          ? {
              ...span,
              name: agent,
              kind: SPAN_KIND_INTERNAL,
              attributes: keyValues({
                'openinference.span.kind': 'AGENT',
                'agent.name': agent,
                'input.value': JSON.stringify({ messages: [{ role: 'user', content: prompt }] }),
                'input.mime_type': 'application/json',
                ...context,
              }),
            }
          : {
              ...span,
              name: `${agent}.workflow`,
              kind: SPAN_KIND_INTERNAL,
              attributes: keyValues({
                'traceloop.span.kind': 'workflow',
                'traceloop.entity.name': agent,
                'traceloop.workflow.name': agent,
                'traceloop.entity.input': JSON.stringify({ args: [prompt], kwargs: {} }),
                ...context,
              }),
            },
      );
      if (convention === 'traceloop') {
        out.push({
          ...span,
          spanId: mcpSessionSpanId,
          parentSpanId: span.spanId,
          name: 'mcp.client.session',
          kind: SPAN_KIND_CLIENT,
          status: { code: STATUS_OK },
          attributes: keyValues({ 'traceloop.span.kind': 'session', 'traceloop.entity.name': 'mcp.client.session', ...context }),
        });
      }
      continue;
    }
    const attributes = attributeMap(span);
    const tool = attributes.get('gen_ai.tool.name');
    if (tool === undefined) continue;
    const args = attributes.get('gen_ai.tool.call.arguments') ?? '{}';
    const result = attributes.get('gen_ai.tool.call.result');
    out.push(
      convention === 'openinference'
        ? {
            ...span,
            name: tool,
            kind: SPAN_KIND_INTERNAL,
            attributes: keyValues({
              'openinference.span.kind': 'TOOL',
              'tool.name': tool,
              'input.value': args,
              'input.mime_type': 'application/json',
              'output.value': result,
              ...context,
            }),
          }
        : {
            ...span,
            // The agent's calls hang under the MCP client session; a nested call stays under its tool.
            parentSpanId: span.parentSpanId === root.spanId ? mcpSessionSpanId : span.parentSpanId,
            name: `${tool}.tool`,
            kind: SPAN_KIND_CLIENT,
            attributes: keyValues({
              'traceloop.span.kind': 'tool',
              'traceloop.entity.name': tool,
              'traceloop.entity.input': JSON.stringify({ tool_name: tool, arguments: JSON.parse(args) as unknown }),
              'traceloop.entity.output':
                result === undefined ? undefined : JSON.stringify({ result, is_error: span.status.code === STATUS_ERROR }),
              ...context,
            }),
          },
    );
  }
  return out;
}

/** One OTLP/JSON line (one semconv session) as the given instrumentation would have written it. */
export function rewriteOtlpJsonLine(line: string, convention: RewrittenConvention): string {
  const request = JSON.parse(line) as OtlpExportTraceServiceRequest;
  return JSON.stringify({
    resourceSpans: request.resourceSpans.map((resourceSpans) => ({
      ...resourceSpans,
      scopeSpans: resourceSpans.scopeSpans.map((scopeSpans) => ({
        scope: { name: convention },
        spans: rewriteSpans(scopeSpans.spans, convention),
      })),
    })),
  });
}
