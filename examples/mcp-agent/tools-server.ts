import type { Tracer } from '@opentelemetry/api';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { traceMcpToolHandler } from '../../src/sdk/index.js';

export const TOOLS_SERVER = 'tools-mcp';

/**
 * The MCP server the agent calls: four tools, each handler traced as a SERVER span whose parent is the
 * client's span, read from the request's `params._meta`.
 */
export function createToolsServer(tracer: Tracer): McpServer {
  const server = new McpServer({ name: TOOLS_SERVER, version: '1.0.0' });
  const traced =
    <A extends Record<string, unknown>>(tool: string, answer: (args: A) => string) =>
    (args: A, extra: { requestId: string | number; _meta?: unknown }) =>
      traceMcpToolHandler(
        tracer,
        { tool, arguments: args, requestId: extra.requestId, serverAddress: TOOLS_SERVER },
        extra._meta,
        async () => ({ content: [{ type: 'text' as const, text: answer(args) }] }),
        { captureContent: true },
      );

  server.registerTool(
    'query_customer_pii',
    { description: "Look up a customer's contact details (name, e-mail, phone)", inputSchema: { customer: z.string() } },
    traced('query_customer_pii', ({ customer }: { customer: string }) => `${customer}: jane.doe@${customer.toLowerCase()}.test, +1 555 0100`),
  );
  server.registerTool(
    'run_python',
    { description: 'Run a Python snippet in a sandbox', inputSchema: { code: z.string() } },
    traced('run_python', () => 'exit 0'),
  );
  server.registerTool(
    'post_to_slack',
    { description: 'Post a message to a Slack channel', inputSchema: { channel: z.string(), text: z.string() } },
    traced('post_to_slack', ({ channel }: { channel: string }) => `posted to ${channel}`),
  );
  server.registerTool(
    'search_docs',
    { description: 'Search the internal documentation', inputSchema: { query: z.string() } },
    traced('search_docs', ({ query }: { query: string }) => `3 documents match "${query}"`),
  );
  return server;
}
