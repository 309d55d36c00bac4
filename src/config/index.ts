export { ConfigError, configFromEnv, DEFAULT_CONFIG, resolveConfig } from './service-config.js';
export type { NatsMode, ServiceConfig } from './service-config.js';
export { assertValidSubject, chainwatchSubjects, DEFAULT_SUBJECT_PREFIX } from './nats-subjects.js';
export type { ChainwatchSubjects } from './nats-subjects.js';
export { findNatsServerBinary, startPrivateNatsServer } from './private-nats-server.js';
export type { PrivateNatsServer, PrivateNatsServerOptions } from './private-nats-server.js';
export { integerOption } from './option-values.js';
