import type { FastifyInstance } from 'fastify';
import type { RuleSetManager } from '../detectors/rules/index.js';
import { ERROR_RESPONSES } from './api-schemas.js';

const diagnostic = {
  type: 'object',
  additionalProperties: true,
  properties: { level: { type: 'string' }, message: { type: 'string' } },
} as const;

const reloadOutcome = {
  type: 'object',
  required: ['ok', 'version', 'errors', 'warnings', 'report', 'at', 'trigger'],
  properties: {
    ok: { type: 'boolean', description: 'true when the files compiled and are now in use' },
    version: { type: 'integer', description: 'version of the rule set in use after this attempt' },
    summary: { type: 'object', additionalProperties: true },
    errors: { type: 'array', items: diagnostic },
    warnings: { type: 'array', items: diagnostic },
    report: { type: 'string', description: 'one line per diagnostic (file:line:column, rule id), then a verdict' },
    at: { type: 'string', format: 'date-time' },
    trigger: { type: 'string' },
  },
} as const;

/**
 * `POST /v1/rules/reload`: re-reads the rule files. A file with errors never replaces the running set:
 * the answer is 422 with every located error, and the previous rules keep scoring.
 */
export function registerRuleRoutes(api: FastifyInstance, rules: RuleSetManager): void {
  api.post(
    '/v1/rules/reload',
    {
      schema: {
        summary: 'Reload the rule files; errors leave the running rules in place',
        tags: ['rules'],
        response: { 200: reloadOutcome, 422: reloadOutcome, ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      const outcome = await rules.reload('api');
      return reply.code(outcome.ok ? 200 : 422).send(outcome);
    },
  );
}
