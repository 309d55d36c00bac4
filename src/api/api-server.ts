import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { AlertLog } from '../outputs/alert-log.js';
import type { RiskStore } from '../outputs/risk-store.js';
import type { SessionDirectory } from '../session/session-snapshot.js';
import { MAX_SESSION_ID_LENGTH, registerApiRoutes } from './api-routes.js';
import { ERROR_RESPONSES, SHARED_SCHEMAS } from './api-schemas.js';
import { BEARER_CHALLENGE, createBearerCheck } from './bearer-auth.js';
import { describeValidation, sendError } from './error-reply.js';
import { ApiConfigError } from './errors.js';

export interface ApiServerOptions {
  readonly sessions: SessionDirectory;
  /** Latest scores of every instance; sessions not held here are looked up in it. */
  readonly riskStore?: RiskStore;
  readonly alerts: AlertLog;
  readonly metrics: Registry;
  /** Bearer tokens (see `readApiTokens`). Empty refuses to start unless `allowNoAuth`. */
  readonly tokens: readonly string[];
  /** With no tokens, serve every route unauthenticated. For local experiments only; it must be set explicitly. */
  readonly allowNoAuth?: boolean;
  /** Serve `/metrics` without a token, for a scraper that cannot send one. Default: token required. */
  readonly openMetrics?: boolean;
  /** Serve `/docs` and `/openapi.json` without a token. Default: token required. */
  readonly openDocs?: boolean;
  readonly ready: () => boolean;
  readonly logger: FastifyBaseLogger;
  /** More routes, registered after the built-in ones: they get the same auth, errors and OpenAPI listing. */
  readonly extraRoutes?: (app: FastifyInstance) => void;
}

export const DOCS_PREFIX = '/docs';
export const OPENAPI_PATH = '/openapi.json';

/**
 * The REST API: session and alert lookups, probes, Prometheus metrics and OpenAPI docs. Every route
 * needs `Authorization: Bearer <token>` except `/healthz` and `/readyz` (and `/metrics`, `/docs`,
 * `/openapi.json` when opened explicitly). Errors are `{ error: { code, message } }`.
 * @throws ApiConfigError when no tokens are given and `allowNoAuth` is not set, or a token is malformed.
 */
export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const { logger, extraRoutes } = options;
  if (options.tokens.length === 0 && options.allowNoAuth !== true) {
    throw new ApiConfigError(
      'the API has no bearer tokens: set CHAINWATCH_API_TOKENS (comma-separated) or configure api tokens; ' +
        'allowNoAuth serves it unauthenticated, for local experiments only',
    );
  }
  const authorized = options.tokens.length > 0 ? createBearerCheck(options.tokens, 'api tokens') : undefined;
  if (authorized === undefined) logger.warn('the API serves without authentication (allowNoAuth)');
  const openMetrics = options.openMetrics === true;
  const openDocs = options.openDocs === true;

  const isDocs = (url: string): boolean =>
    url === OPENAPI_PATH || url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`);
  /** By route pattern; an unknown route (undefined) needs a token too, so probing learns nothing. */
  const isOpen = (url: string | undefined): boolean =>
    url === '/healthz' ||
    url === '/readyz' ||
    (url === '/metrics' && openMetrics) ||
    (url !== undefined && openDocs && isDocs(url));

  const app = Fastify({
    loggerInstance: logger,
    // Fastify sets no limit by default: a client that stalls mid-request would hold its connection forever.
    requestTimeout: 30_000,
    // Probes and scrapes would flood the log; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: MAX_SESSION_ID_LENGTH },
    // verbose: validation errors carry their schema, so messages can quote its description.
    ajv: { customOptions: { verbose: true } },
    // Errors raised before routing (a malformed URL, an over-long id) get the same JSON shape.
    frameworkErrors: (error, _request, reply) =>
      sendError(
        reply,
        error.statusCode ?? 400,
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? `a path parameter is longer than ${MAX_SESSION_ID_LENGTH} characters`
          : 'the URL is not valid',
      ),
  });

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  if (authorized !== undefined) {
    app.addHook('onRequest', async (request, reply) => {
      if (isOpen(request.routeOptions.url) || authorized(request.headers.authorization)) return;
      reply.header('www-authenticate', BEARER_CHALLENGE);
      return sendError(reply, 401, 'missing or invalid bearer token');
    });
  }

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, `no route ${request.method} ${request.url.split('?', 1)[0]?.slice(0, 200)}`),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation !== undefined) return sendError(reply, 400, describeValidation(error));
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendError(reply, status, error.message);
    request.log.error({ err: error, url: request.url }, 'API request failed');
    return sendError(reply, 500, 'internal error');
  });

  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'chainwatch API',
        description: 'Risk of AI agents’ sessions, scored from their MCP tool calls.',
        version: '1',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) =>
        typeof json.$id === 'string' ? json.$id : `def-${index}`,
    },
  });
  void app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });

  // Routes go in a plugin registered after swagger, so its onRoute hook sees them all.
  void app.register(async (api) => {
    registerApiRoutes(api, {
      sessions: options.sessions,
      riskStore: options.riskStore,
      alerts: options.alerts,
      metrics: options.metrics,
      ready: options.ready,
      authRequired: authorized !== undefined,
      openMetrics,
    });
    api.get(
      OPENAPI_PATH,
      { schema: { hide: true, response: { 200: { type: 'object', additionalProperties: true }, ...ERROR_RESPONSES } } },
      async () => app.swagger(),
    );
    extraRoutes?.(api);
  });

  return app;
}
