import type { FastifyError, FastifyReply } from 'fastify';

/** Stable machine-readable codes of the API's error answers, by HTTP status. */
const ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  500: 'internal_error',
  503: 'unavailable',
};

export function errorCodeFor(status: number): string {
  return ERROR_CODES[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
}

/** Every API error answer: `{ error: { code, message } }`. */
export function sendError(reply: FastifyReply, status: number, message: string, code = errorCodeFor(status)): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

/** Names the parameter at fault: `querystring parameter 'minScore' must be <= 1`. */
export function describeValidation(error: FastifyError): string {
  const issues = error.validation ?? [];
  // For anyOf, the branch errors only say why each alternative failed; the schema says what was wanted.
  const issue = issues.find((candidate) => candidate.keyword === 'anyOf') ?? issues[0];
  if (issue === undefined) return error.message;
  const params = issue.params as { missingProperty?: unknown };
  const field =
    issue.instancePath.replace(/^\//, '').replaceAll('/', '.') ||
    (typeof params.missingProperty === 'string' ? params.missingProperty : '');
  const where = `${error.validationContext ?? 'request'} parameter '${field}'`;
  // Present because the API's ajv runs with `verbose`.
  const described = (issue as { parentSchema?: { description?: unknown } }).parentSchema?.description;
  if (issue.keyword === 'anyOf' && typeof described === 'string') return `${where} must be ${described}`;
  return `${where} ${issue.message ?? 'is invalid'}`;
}
