import type { FastifyInstance } from 'fastify';
import type { PreflightAnswer, ProposedCall } from '../scoring/preflight.js';
import { ERROR_RESPONSES, schemaRef } from './api-schemas.js';
import { TEXT_LIMITS } from '../normalize/bounded-text.js';
import { MAX_SESSION_ID_LENGTH } from './api-routes.js';

/** What the route needs: `PreflightCheck` in the service. */
export interface PreflightChecker {
  check(call: ProposedCall): PreflightAnswer;
}

const MAX_TOOL_NAME_LENGTH = TEXT_LIMITS.toolName;
const risk = {
  type: 'object',
  required: ['score', 'level'],
  properties: { score: { type: 'number' }, level: { type: 'string' } },
} as const;

/**
 * `POST /v1/check`: the risk a session would have if a proposed call ran, and allow / review / deny,
 * for MCP gateways that can hold a call. Read-only: the session is not changed.
 */
export function registerCheckRoute(api: FastifyInstance, checker: PreflightChecker): void {
  api.post<{ Body: ProposedCall }>(
    '/v1/check',
    {
      schema: {
        summary: 'Pre-flight check of a proposed tool call: projected risk and a decision; the session is left unchanged',
        tags: ['sessions'],
        body: {
          type: 'object',
          required: ['session', 'tool'],
          additionalProperties: false,
          properties: {
            session: { type: 'string', minLength: 1, maxLength: MAX_SESSION_ID_LENGTH, description: 'the session id its spans carry' },
            tool: { type: 'string', minLength: 1, maxLength: MAX_TOOL_NAME_LENGTH, description: 'the tool the call would run' },
            arguments: { description: 'the arguments the call would send (any JSON)' },
            server: { type: 'string', maxLength: MAX_TOOL_NAME_LENGTH, description: "the MCP server the call goes to; when absent, the catalog's server for the tool" },
            userId: { type: 'string', maxLength: MAX_SESSION_ID_LENGTH, description: 'the user the call claims' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['session', 'tool', 'category', 'decision', 'known', 'current', 'score', 'level', 'trust', 'findings', 'thresholds'],
            properties: {
              session: { type: 'string' },
              tool: { type: 'string' },
              category: { type: 'string' },
              decision: { type: 'string', enum: ['allow', 'review', 'deny'] },
              known: { type: 'boolean', description: 'false when the session is not live here: scored as a new session' },
              current: risk,
              score: { type: 'number', description: 'the risk the session would have with the call' },
              level: { type: 'string' },
              trust: { type: 'string' },
              findings: { type: 'array', items: schemaRef('Finding'), description: 'evidence the call itself would complete' },
              thresholds: {
                type: 'object',
                required: ['reviewAt', 'denyAt'],
                properties: { reviewAt: { type: 'number' }, denyAt: { type: 'number' } },
              },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => checker.check(request.body),
  );
}
