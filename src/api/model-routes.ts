import type { FastifyInstance } from 'fastify';
import type { ModelSlot } from '../service/model-slot.js';
import { ERROR_RESPONSES } from './api-schemas.js';

const modelSummary = {
  type: 'object',
  required: ['dir', 'formatVersion', 'createdAt', 'dataDigest', 'sessions', 'clusters', 'agents', 'alertThreshold', 'targetFpr', 'loadedAt'],
  properties: {
    dir: { type: 'string' },
    formatVersion: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time', description: 'when `chainwatch train` wrote the model' },
    dataDigest: { type: 'string', description: 'sha256 over the training sessions' },
    sessions: { type: 'integer', description: 'training sessions' },
    clusters: { type: 'integer', description: 'prompt clusters' },
    agents: { type: 'integer', description: 'agents with a context of their own' },
    alertThreshold: { type: 'number', description: 'calibrated risk at which sessions alert (the `high` level)' },
    targetFpr: { type: 'number', description: 'share of normal training sessions the alert threshold lets through' },
    loadedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const reloadOutcome = {
  type: 'object',
  required: ['ok', 'changed', 'model', 'at', 'trigger'],
  properties: {
    ok: { type: 'boolean', description: 'true when the folder loaded and is in use' },
    changed: { type: 'boolean', description: 'true when a different model now scores (false: the folder held the running one)' },
    model: modelSummary,
    error: { type: 'string', description: 'why the folder was not taken; the running model stays' },
    at: { type: 'string', format: 'date-time' },
    trigger: { type: 'string' },
  },
} as const;

/**
 * `GET /v1/model`: the model in use and the last reload. `POST /v1/model/reload`: reads the model folder
 * again; a folder that does not load never replaces the running model (422 with the error).
 */
export function registerModelRoutes(api: FastifyInstance, model: ModelSlot): void {
  api.get(
    '/v1/model',
    {
      schema: {
        summary: 'The model scoring sessions, and the outcome of the last reload',
        tags: ['model'],
        response: {
          200: { type: 'object', required: ['model'], properties: { model: modelSummary, lastReload: reloadOutcome } },
          ...ERROR_RESPONSES,
        },
      },
    },
    async () => ({ model: model.summary, ...(model.lastOutcome !== undefined ? { lastReload: model.lastOutcome } : {}) }),
  );
  api.post(
    '/v1/model/reload',
    {
      schema: {
        summary: 'Reload the model folder (after `chainwatch train --out` rewrote it); errors leave the running model in place',
        tags: ['model'],
        response: { 200: reloadOutcome, 422: reloadOutcome, ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      const outcome = await model.reload('api');
      return reply.code(outcome.ok ? 200 : 422).send(outcome);
    },
  );
}
