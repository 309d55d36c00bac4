import type { Attributes, DecodedSpan } from '../../ingest/otlp/types.js';
import { textAttribute } from './attribute-values.js';
import { messagesPrompt } from './genai-prompt.js';
import { isObject, parseJsonContainer, promptText, toolDefinitions } from './json-values.js';
import type { ConventionReader, SpanReading } from './span-reading.js';

/*
 * Traceloop / OpenLLMetry (traceloop/openllmetry-js). `traceloop.span.kind`:
 * - `tool`: a tool call, named by `traceloop.entity.name`. @traceloop/instrumentation-mcp writes
 *   `traceloop.entity.input` = {"tool_name", "arguments"} and `traceloop.entity.output` =
 *   {"result": <first text content>, "is_error"}; the SDK's withTool/@tool decorators write
 *   {"args": [...], "kwargs": {...}}; LangChain's instrumentation {"inputs": {...}, ...}.
 * - `workflow`, `agent` (decorators) and `session` (the MCP client connection, `mcp.client.session`)
 *   may root a session; the prompt is in `traceloop.entity.input`.
 * - `unknown` with entity name `tools/list`: the MCP instrumentation's other requests; its output is
 *   {"tools": [{name, description}]}.
 * Its model-call spans carry no span kind but `llm.request.type` (`chat`, `completion`) and the prompt
 * as indexed `gen_ai.prompt.<i>.role|content`: they give the prompt early.
 * No session attribute unless the app sets the association property `session_id`
 * (`traceloop.association.properties.session_id`): the trace id stands in. No server, no request id.
 */

export const traceloop: ConventionReader = {
  convention: 'traceloop',
  read(span: DecodedSpan): SpanReading | null {
    const attributes = span.attributes;
    const kind = attributes['traceloop.span.kind'];
    if (kind === undefined) {
      return attributes['llm.request.type'] === undefined ? null : { role: 'inference', prompt: messagesPrompt(attributes), tools: [] };
    }
    if (kind === 'tool') {
      const tool = textAttribute(attributes, 'traceloop.entity.name');
      if (tool === '') return { role: 'unusable', reason: 'Traceloop tool span without traceloop.entity.name' };
      const output = unwrapOutput(textAttribute(attributes, 'traceloop.entity.output'));
      return {
        role: 'tool_call',
        tool,
        server: textAttribute(attributes, 'server.address'),
        arguments: unwrapInput(attributes['traceloop.entity.input']),
        result: output.text,
        requestId: '',
        toolError: output.isError,
        description: '',
      };
    }
    if (kind === 'workflow' || kind === 'agent' || kind === 'session') {
      return {
        role: 'root',
        onlyWithoutParent: kind === 'session',
        prompt: promptText(attributes['traceloop.entity.input']),
        agentName: agentName(attributes),
        model: textAttribute(attributes, 'gen_ai.request.model'),
      };
    }
    if (attributes['traceloop.entity.name'] === 'tools/list') {
      return {
        role: 'tool_list',
        server: textAttribute(attributes, 'server.address'),
        tools: toolDefinitions(parseJsonContainer(textAttribute(attributes, 'traceloop.entity.output'))),
      };
    }
    return null;
  },
};

function agentName(attributes: Attributes): string {
  return (
    textAttribute(attributes, 'gen_ai.agent.name') ||
    textAttribute(attributes, 'traceloop.workflow.name') ||
    textAttribute(attributes, 'traceloop.entity.name')
  );
}

/**
 * The call's arguments out of the wrappers the instrumentations put around them: MCP `arguments`,
 * decorator `kwargs` (or the positional `args` when there are no kwargs), LangChain `inputs`.
 */
function unwrapInput(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value !== 'string') return value;
  const parsed = parseJsonContainer(value);
  if (parsed === undefined) return value;
  if (!isObject(parsed)) return parsed;
  if ('tool_name' in parsed && 'arguments' in parsed) return parsed.arguments;
  if ('args' in parsed && 'kwargs' in parsed) {
    const args = Array.isArray(parsed.args) ? parsed.args : [];
    const kwargs = isObject(parsed.kwargs) ? parsed.kwargs : {};
    if (args.length === 0) return kwargs;
    if (Object.keys(kwargs).length === 0) return args;
    return parsed;
  }
  if (isObject(parsed.inputs)) return parsed.inputs;
  return parsed;
}

const RESULT_OPENING = '{"result":"';
const ERROR_ONLY = '{"is_error":';
const ERROR_TAIL = '"is_error":true';

/**
 * The result text without parsing the result: the MCP instrumentation writes
 * `{"result":"<text>","is_error":<bool>}` (JSON.stringify, so in that order); only the string literal
 * is decoded. A bare JSON string (a decorator's string return value) is decoded the same way; anything
 * else stays as written.
 */
function unwrapOutput(output: string): { text: string; isError: boolean } {
  if (output.startsWith(RESULT_OPENING)) {
    const end = endOfString(output, RESULT_OPENING.length - 1);
    if (end > 0) {
      const text = decodeString(output.slice(RESULT_OPENING.length - 1, end + 1));
      if (text !== undefined) return { text, isError: output.includes(ERROR_TAIL, end) };
    }
  } else if (output.startsWith(ERROR_ONLY)) {
    // No text content: only the error flag was recorded.
    return { text: '', isError: output.includes(ERROR_TAIL) };
  } else if (output.startsWith('"') && endOfString(output, 0) === output.length - 1) {
    const text = decodeString(output);
    if (text !== undefined) return { text, isError: false };
  }
  return { text: output, isError: false };
}

/** Index of the quote closing the JSON string that opens at `start`, or -1. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 92) i++; // backslash: skip the escaped character
    else if (code === 34) return i; // closing quote
  }
  return -1;
}

function decodeString(literal: string): string | undefined {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
