import { SEVERITIES } from '../detectors/finding.js';
import type { RiskLevel } from '../scoring/risk.js';
import type { CallOrigin, TrustLevel } from '../session/session-view.js';

/**
 * JSON Schemas of the REST API's responses. Fastify serializes responses with them (fields not listed
 * here are not sent) and @fastify/swagger publishes them as OpenAPI components, named by `$id`.
 */

// Records keyed by the union force these lists to stay complete when the types change.
const TRUST_LEVELS = Object.keys({ verified: 0, unverified: 0, invalid: 0, spoofed: 0 } satisfies Record<TrustLevel, 0>);
const RISK_LEVELS = Object.keys({ none: 0, low: 0, medium: 0, high: 0, critical: 0 } satisfies Record<RiskLevel, 0>);
const CALL_ORIGINS = Object.keys({ user: 0, nested: 0 } satisfies Record<CallOrigin, 0>);

const text = { type: 'string' } as const;
const timestamp = { type: 'string', description: 'ISO-8601; empty when unknown' } as const;
const unitScore = { type: 'number', minimum: 0, maximum: 1 } as const;
const count = { type: 'integer', minimum: 0 } as const;
const strings = { type: 'array', items: text } as const;

/** A reference to a shared schema by its `$id`. */
export const schemaRef = (id: string): { readonly $ref: string } => ({ $ref: `${id}#` });

function object(
  $id: string | undefined,
  description: string,
  properties: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return {
    ...($id === undefined ? {} : { $id }),
    type: 'object',
    description,
    required: Object.keys(properties),
    properties,
  };
}

const findingSchema = object('Finding', 'One piece of evidence a detector produced.', {
  detector: text,
  id: text,
  severity: { type: 'string', enum: [...SEVERITIES] },
  score: unitScore,
  message: text,
  callIndex: { type: 'integer', minimum: -1, description: '-1 for session-level evidence' },
  spanIds: strings,
});

/** A session's identity and risk: what summaries, stored scores and alerts all say of it. */
const sessionRiskProperties = {
  session: text,
  service: text,
  userId: text,
  trust: { type: 'string', enum: TRUST_LEVELS },
  score: unitScore,
  level: { type: 'string', enum: RISK_LEVELS },
};

const summaryProperties = {
  ...sessionRiskProperties,
  callCount: count,
  escalated: { type: 'boolean' },
  firstSeen: timestamp,
  lastSeen: timestamp,
};

const sessionSummarySchema = object('SessionSummary', 'A live session in short.', summaryProperties);

const timelineCallSchema = object('TimelineCall', 'One call of a session, in start-time order.', {
  index: count,
  spanId: text,
  traceId: text,
  tool: text,
  server: text,
  category: text,
  effect: text,
  categoryInferred: { type: 'boolean' },
  origin: { type: 'string', enum: CALL_ORIGINS },
  status: { type: 'string', enum: ['ok', 'error'] },
  startTime: timestamp,
  durationMs: { type: 'number', minimum: 0 },
});

const escalationSchema = object('EscalationState', 'Sampling escalation sent for the session.', {
  escalated: { type: 'boolean' },
  lastSignalAt: timestamp,
  expiresAt: timestamp,
  signalsSent: count,
});

const localSessionSchema = object('LocalSession', 'A session this instance holds, in full.', {
  source: { type: 'string', enum: ['local'] },
  ...summaryProperties,
  traceIds: strings,
  prompt: text,
  findings: { type: 'array', items: schemaRef('Finding') },
  timeline: { type: 'array', items: schemaRef('TimelineCall') },
  escalation: schemaRef('EscalationState'),
});

const storedScoreSchema = object(
  'StoredScore',
  "A session another instance scored: its latest risk from the shared store (no timeline).",
  {
    source: { type: 'string', enum: ['kv'] },
    ...sessionRiskProperties,
    traceIds: strings,
    callCount: count,
    findings: { type: 'array', items: schemaRef('Finding') },
    escalated: { type: 'boolean' },
    updatedAt: timestamp,
  },
);

const alertSchema = object('Alert', 'A finding at or above the alert severity, with its session context.', {
  id: text,
  ...sessionRiskProperties,
  finding: schemaRef('Finding'),
  severity: { type: 'string', enum: [...SEVERITIES] },
  createdAt: timestamp,
});

const apiErrorSchema = object('ApiError', 'Every error answer.', {
  error: object(undefined, 'What went wrong.', {
    code: { type: 'string', description: 'Stable machine-readable code, e.g. not_found, invalid_request' },
    message: text,
  }),
});

const probeStatusSchema = object('ProbeStatus', 'A health or readiness probe answer.', {
  status: { type: 'string', enum: ['ok', 'ready', 'not_ready'] },
});

/** Registered with `addSchema` before any route; routes refer to them with `schemaRef(id)`. */
export const SHARED_SCHEMAS: readonly Record<string, unknown>[] = [
  findingSchema,
  sessionSummarySchema,
  timelineCallSchema,
  escalationSchema,
  localSessionSchema,
  storedScoreSchema,
  alertSchema,
  apiErrorSchema,
  probeStatusSchema,
];

/** Error answers every route may give (auth, validation, not found, internal). */
export const ERROR_RESPONSES = { '4xx': schemaRef('ApiError'), '5xx': schemaRef('ApiError') } as const;

/** `since`: epoch milliseconds or an RFC 3339 date-time. */
export const sinceSchema = {
  type: 'string',
  description: 'an ISO-8601 date-time with offset (2025-01-31T12:00:00Z) or epoch milliseconds',
  anyOf: [{ format: 'date-time' }, { pattern: '^[0-9]{1,15}$' }],
} as const;

export const limitSchema = { type: 'integer', minimum: 1, maximum: 1000, default: 100 } as const;
