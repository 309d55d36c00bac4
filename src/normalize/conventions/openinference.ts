import type { Attributes, DecodedSpan } from '../../ingest/otlp/types.js';
import type { ToolDefinition } from '../events.js';
import { resultText, textAttribute } from './attribute-values.js';
import { parseArguments, parseJsonContainer, promptText, toolDefinition } from './json-values.js';
import type { ConventionReader, SpanReading } from './span-reading.js';

/*
 * OpenInference (Arize-ai/openinference, spec/semantic_conventions.md): `openinference.span.kind`
 * TOOL is a tool call (`tool.name`, `tool.description`, `tool.id`; the call's arguments are
 * `input.value`: `tool.parameters` is the tool's parameter *definition*; result `output.value`).
 * AGENT and CHAIN spans may root a session (the spec's root span is the one without a parent; the
 * normalizer applies that). An LLM span gives the prompt early (its first user message,
 * `llm.input_messages.<i>.message.role|content`, else `input.value`); OpenInference has no `tools/list`:
 * an LLM span's advertised tools (`llm.tools.<i>.tool.name|description|json_schema`) stand in for it.
 * No server attribute.
 */

const MAX_TOOLS = 256;
const MAX_MESSAGES = 256;

export const openInference: ConventionReader = {
  convention: 'openinference',
  read(span: DecodedSpan): SpanReading | null {
    const attributes = span.attributes;
    const kind = attributes['openinference.span.kind'];
    if (kind === 'TOOL') {
      const tool = textAttribute(attributes, 'tool.name');
      if (tool === '') return { role: 'unusable', reason: 'OpenInference TOOL span without tool.name' };
      return {
        role: 'tool_call',
        tool,
        server: textAttribute(attributes, 'server.address'),
        arguments: parseArguments(attributes['input.value']),
        result: resultText(attributes['output.value']),
        requestId: textAttribute(attributes, 'tool.id') || textAttribute(attributes, 'tool_call.id'),
        toolError: false,
        description: textAttribute(attributes, 'tool.description'),
      };
    }
    if (kind === 'AGENT' || kind === 'CHAIN') {
      return {
        role: 'root',
        onlyWithoutParent: false,
        prompt: promptText(attributes['input.value']),
        agentName: textAttribute(attributes, 'gen_ai.agent.name') || textAttribute(attributes, 'agent.name'),
        model: textAttribute(attributes, 'gen_ai.request.model'),
      };
    }
    if (kind === 'LLM') return { role: 'inference', prompt: llmPrompt(attributes), tools: advertisedTools(attributes) };
    return null;
  },
};

/** The first user message's text (`content`, else its text parts), else the prompt in `input.value`. */
function llmPrompt(attributes: Attributes): string {
  for (let i = 0; i < MAX_MESSAGES; i++) {
    const prefix = `llm.input_messages.${i}.message.`;
    const role = attributes[`${prefix}role`];
    if (role === undefined) break;
    if (role !== 'user') continue;
    const content = textAttribute(attributes, `${prefix}content`);
    if (content !== '') return content;
    const parts: string[] = [];
    for (let j = 0; j < MAX_MESSAGES; j++) {
      const type = attributes[`${prefix}contents.${j}.message_content.type`];
      if (type === undefined) break;
      if (type === 'text') parts.push(textAttribute(attributes, `${prefix}contents.${j}.message_content.text`));
    }
    if (parts.length > 0) return parts.join('\n');
  }
  return promptText(attributes['input.value']);
}

function advertisedTools(attributes: Attributes): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  for (let i = 0; i < MAX_TOOLS; i++) {
    const prefix = `llm.tools.${i}.tool.`;
    const name = textAttribute(attributes, `${prefix}name`);
    const schema = attributes[`${prefix}json_schema`];
    if (name === '' && schema === undefined) break;
    const fromSchema = typeof schema === 'string' ? toolDefinition(parseJsonContainer(schema)) : undefined;
    const toolName = name || fromSchema?.name || '';
    if (toolName === '') continue;
    tools.push({
      name: toolName,
      description: textAttribute(attributes, `${prefix}description`) || fromSchema?.description || '',
    });
  }
  return tools;
}
