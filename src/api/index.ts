export type { ApiServerOptions } from './api-server.js';
export { createApiServer, DOCS_PREFIX, OPENAPI_PATH } from './api-server.js';
export { API_TOKENS_ENV, checkApiTokens, MIN_TOKEN_LENGTH, readApiTokens } from './api-tokens.js';
export type { BearerCheck } from './bearer-auth.js';
export { BEARER_CHALLENGE, createBearerCheck } from './bearer-auth.js';
export { ApiConfigError } from './errors.js';
export type { OtlpReceiverOptions } from './otlp-receiver.js';
export { createOtlpReceiver, OTLP_TRACES_PATH } from './otlp-receiver.js';
export { registerRuleRoutes } from './rules-routes.js';
