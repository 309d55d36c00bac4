import type { Attributes, DecodedSpan } from '../../ingest/otlp/types.js';
import { textAttribute } from './attribute-values.js';
import { parseJsonValue } from './json-values.js';
import type { ConventionReader, SpanReading } from './span-reading.js';

/*
 * MCP attribute names of the draft OpenTelemetry MCP conventions (semantic-conventions PR 2083) as
 * Sentry's MCP server integration emits them (getsentry/sentry-javascript,
 * packages/core/src/integrations/mcp-server/attributes.ts, methodConfig.ts, resultExtraction.ts):
 * `mcp.tool.name`, `mcp.request.id`, `mcp.request.argument.<name>` (each value JSON.stringify'd, the
 * name lower-cased), `mcp.tool.result.content` (one content item) or `mcp.tool.result.<i>.content`,
 * `mcp.tool.result.is_error`, `mcp.server.name`, `mcp.session.id`. No agent root span, and `tools/list`
 * spans carry no definitions.
 */

const ARGUMENT_PREFIX = 'mcp.request.argument.';
const MAX_RESULT_ITEMS = 64;

export const mcpDraft: ConventionReader = {
  convention: 'mcp-draft',
  read(span: DecodedSpan): SpanReading | null {
    const attributes = span.attributes;
    const method = attributes['mcp.method.name'];
    if (method === 'tools/call' || (method === undefined && attributes['mcp.tool.name'] !== undefined)) {
      const tool = textAttribute(attributes, 'mcp.tool.name');
      if (tool === '') return { role: 'unusable', reason: 'MCP tools/call span without mcp.tool.name' };
      return {
        role: 'tool_call',
        tool,
        server: textAttribute(attributes, 'mcp.server.name') || textAttribute(attributes, 'server.address'),
        arguments: collectArguments(attributes),
        result: resultContent(attributes),
        requestId: textAttribute(attributes, 'mcp.request.id'),
        toolError: attributes['mcp.tool.result.is_error'] === true,
        description: '',
      };
    }
    if (method === 'tools/list') {
      return {
        role: 'tool_list',
        server: textAttribute(attributes, 'mcp.server.name') || textAttribute(attributes, 'server.address'),
        tools: [],
      };
    }
    return null;
  },
};

/** `mcp.request.argument.<name>` attributes as one object; null when none is recorded. */
function collectArguments(attributes: Attributes): Record<string, unknown> | null {
  let args: Record<string, unknown> | null = null;
  for (const key in attributes) {
    if (!key.startsWith(ARGUMENT_PREFIX)) continue;
    const value = attributes[key];
    args ??= {};
    // defineProperty: an argument named `__proto__` stays an argument.
    Object.defineProperty(args, key.slice(ARGUMENT_PREFIX.length), {
      value: typeof value === 'string' ? parseJsonValue(value) : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return args;
}

/** The result text: one content item, or several joined by newlines. */
function resultContent(attributes: Attributes): string {
  const single = attributes['mcp.tool.result.content'];
  if (single !== undefined) return textAttribute(attributes, 'mcp.tool.result.content');
  const count = attributes['mcp.tool.result.content_count'];
  if (typeof count !== 'number' || count < 2) return '';
  const parts: string[] = [];
  for (let i = 0; i < Math.min(count, MAX_RESULT_ITEMS); i++) {
    const part = textAttribute(attributes, `mcp.tool.result.${i}.content`);
    if (part !== '') parts.push(part);
  }
  return parts.join('\n');
}
