import type { Attributes, DecodedSpan } from '../../ingest/otlp/types.js';
import { textAttribute, resultText } from './attribute-values.js';
import { messagesPrompt } from './genai-prompt.js';
import { parseArguments, toolDefinitions } from './json-values.js';
import type { ConventionReader, SpanReading } from './span-reading.js';

/*
 * OpenTelemetry semantic conventions for MCP and GenAI (open-telemetry/semantic-conventions-genai,
 * docs/gen-ai/mcp.md and gen-ai-spans.md). Tool call: `mcp.method.name` = `tools/call` or
 * `gen_ai.operation.name` = `execute_tool`. Root: `gen_ai.operation.name` = `invoke_agent`. Model
 * calls (`chat`, `text_completion`, `generate_content`) give the prompt early and the tools offered.
 * `create_agent` is left out: it records creating an agent definition, not a user's turn.
 */

const INFERENCE_OPERATIONS: ReadonlySet<unknown> = new Set(['chat', 'text_completion', 'generate_content']);

export const semconv: ConventionReader = {
  convention: 'semconv',
  read(span: DecodedSpan): SpanReading | null {
    const attributes = span.attributes;
    const operation = attributes['gen_ai.operation.name'];
    const method = attributes['mcp.method.name'];
    if (operation === 'execute_tool' || method === 'tools/call') {
      if (isMcpDraft(attributes)) return null;
      const tool = textAttribute(attributes, 'gen_ai.tool.name');
      if (tool === '') {
        // Instrumentations that add GenAI names to their own spans may leave the tool name in theirs.
        if (hasOtherConventionMarker(attributes)) return null;
        return { role: 'unusable', reason: 'semconv tool call without gen_ai.tool.name' };
      }
      return {
        role: 'tool_call',
        tool,
        server: textAttribute(attributes, 'server.address'),
        arguments: parseArguments(attributes['gen_ai.tool.call.arguments']),
        result: resultText(attributes['gen_ai.tool.call.result']),
        requestId: textAttribute(attributes, 'jsonrpc.request.id'),
        toolError: false,
        description: textAttribute(attributes, 'gen_ai.tool.description'),
      };
    }
    if (method === 'tools/list') {
      if (isMcpDraft(attributes)) return null;
      return {
        role: 'tool_list',
        server: textAttribute(attributes, 'server.address'),
        tools: toolDefinitions(attributes['gen_ai.tool.definitions']),
      };
    }
    if (INFERENCE_OPERATIONS.has(operation)) {
      return { role: 'inference', prompt: messagesPrompt(attributes), tools: toolDefinitions(attributes['gen_ai.tool.definitions']) };
    }
    if (operation === 'invoke_agent') {
      return {
        role: 'root',
        onlyWithoutParent: false,
        prompt: messagesPrompt(attributes),
        agentName: textAttribute(attributes, 'gen_ai.agent.name'),
        model: textAttribute(attributes, 'gen_ai.request.model'),
      };
    }
    return null;
  },
};

/**
 * MCP spans named the draft way (Sentry's `mcp.tool.name`, `mcp.request.id`) also carry
 * `mcp.method.name`; they are left to the mcp-draft reader unless they carry the GenAI names too.
 */
function isMcpDraft(attributes: Attributes): boolean {
  return (
    attributes['gen_ai.tool.name'] === undefined &&
    attributes['jsonrpc.request.id'] === undefined &&
    (attributes['mcp.tool.name'] !== undefined || attributes['mcp.request.id'] !== undefined)
  );
}

function hasOtherConventionMarker(attributes: Attributes): boolean {
  return attributes['openinference.span.kind'] !== undefined || attributes['traceloop.span.kind'] !== undefined;
}
