export { Session } from './session.js';
export type { CallPlacement, SessionLimits } from './session.js';
export { LruSessionStore } from './session-store.js';
export type { EvictionReason, SessionStore, SessionStoreOptions } from './session-store.js';
export { StoreSessionDirectory } from './store-directory.js';
export type {
  EscalationState,
  SessionDirectory,
  SessionQuery,
  SessionSnapshot,
  SessionSummary,
  TimelineCall,
} from './session-snapshot.js';
export type { CallOrigin, CallRecord, SessionView, TrustLevel } from './session-view.js';
export { positionInSession } from './session-view.js';
