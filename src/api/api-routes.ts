import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { AlertLog } from '../outputs/alert-log.js';
import { TEXT_LIMITS } from '../normalize/bounded-text.js';
import type { RiskStore } from '../outputs/risk-store.js';
import type { SessionDirectory } from '../session/session-snapshot.js';
import { ERROR_RESPONSES, limitSchema, schemaRef, sinceSchema } from './api-schemas.js';
import { sendError } from './error-reply.js';

/** Session ids come from span attributes, which the normalizer cuts to this length: longer ones are not ids. */
export const MAX_SESSION_ID_LENGTH = TEXT_LIMITS.identifier;

export interface ApiRouteDeps {
  readonly sessions: SessionDirectory;
  readonly riskStore: RiskStore | undefined;
  readonly alerts: AlertLog;
  readonly metrics: Registry;
  readonly ready: () => boolean;
  /** For the OpenAPI document: which routes need no token. */
  readonly authRequired: boolean;
  readonly openMetrics: boolean;
}

interface SessionListQuery {
  readonly minScore: number;
  readonly since?: string;
  readonly limit: number;
}

interface AlertListQuery {
  readonly since?: string;
  readonly limit: number;
}

/** Milliseconds since the epoch from a validated `since` (digits, or an RFC 3339 date-time); 0 when absent. */
function sinceMs(since: string | undefined): number {
  if (since === undefined) return 0;
  return /^[0-9]+$/.test(since) ? Number(since) : Date.parse(since);
}

/** The built-in routes: probes, metrics, sessions, alerts. */
export function registerApiRoutes(api: FastifyInstance, deps: ApiRouteDeps): void {
  const { sessions, riskStore, alerts, metrics, ready } = deps;
  const security = (open: boolean): { security?: [] } => (open || !deps.authRequired ? { security: [] } : {});

  api.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: 200 while the process serves',
        tags: ['probes'],
        ...security(true),
        response: { 200: schemaRef('ProbeStatus') },
      },
    },
    async () => ({ status: 'ok' }),
  );

  api.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: 200 once the service can score, else 503',
        tags: ['probes'],
        ...security(true),
        response: { 200: schemaRef('ProbeStatus'), 503: schemaRef('ProbeStatus') },
      },
    },
    async (request, reply) => {
      let isReady = false;
      try {
        isReady = ready();
      } catch (error) {
        request.log.error({ err: error }, 'readiness check failed');
      }
      return isReady ? { status: 'ready' } : reply.code(503).send({ status: 'not_ready' });
    },
  );

  api.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics, text exposition format',
        tags: ['probes'],
        ...security(deps.openMetrics),
        response: {
          200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (_request, reply) => {
      const body = await metrics.metrics();
      return reply.type(metrics.contentType).send(body);
    },
  );

  api.get<{ Params: { id: string } }>(
    '/v1/sessions/:id',
    {
      schema: {
        summary: 'One session: held here in full (source local), else its latest score from the shared store (source kv)',
        tags: ['sessions'],
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: MAX_SESSION_ID_LENGTH } },
        },
        response: {
          200: { anyOf: [schemaRef('LocalSession'), schemaRef('StoredScore')] },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const snapshot = sessions.get(id);
      if (snapshot !== undefined) return { source: 'local', ...snapshot };
      if (riskStore !== undefined) {
        let stored;
        try {
          stored = await riskStore.get(id);
        } catch (error) {
          request.log.warn({ err: error, session: id }, 'risk store lookup failed');
          return sendError(reply, 503, 'the shared risk store cannot be read now: retry later');
        }
        if (stored !== undefined) return { source: 'kv', ...stored };
      }
      return sendError(reply, 404, `no session '${id}'`);
    },
  );

  api.get<{ Querystring: SessionListQuery }>(
    '/v1/sessions',
    {
      schema: {
        summary: 'Live sessions held here, highest score first; since: last seen at or after',
        tags: ['sessions'],
        querystring: {
          type: 'object',
          properties: {
            minScore: { type: 'number', minimum: 0, maximum: 1, default: 0 },
            since: sinceSchema,
            limit: limitSchema,
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['sessions'],
            properties: { sessions: { type: 'array', items: schemaRef('SessionSummary') } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { minScore, since, limit } = request.query;
      const from = sinceMs(since);
      if (Number.isNaN(from)) return sendError(reply, 400, `since: '${since}' is not a time this service can read`);
      return { sessions: sessions.list({ minScore, sinceMs: from, limit }) };
    },
  );

  api.get<{ Querystring: AlertListQuery }>(
    '/v1/alerts',
    {
      schema: {
        summary: 'Recent alerts, newest first; since: created at or after',
        tags: ['alerts'],
        querystring: {
          type: 'object',
          properties: { since: sinceSchema, limit: limitSchema },
        },
        response: {
          200: {
            type: 'object',
            required: ['alerts'],
            properties: { alerts: { type: 'array', items: schemaRef('Alert') } },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { since, limit } = request.query;
      const from = sinceMs(since);
      if (Number.isNaN(from)) return sendError(reply, 400, `since: '${since}' is not a time this service can read`);
      return { alerts: alerts.list({ sinceMs: from, limit }) };
    },
  );
}
