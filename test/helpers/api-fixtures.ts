import type { Finding } from '../../src/detectors/finding.js';
import type { Alert, ScoreUpdate } from '../../src/scoring/risk.js';
import type { SessionSnapshot } from '../../src/session/session-snapshot.js';

/** Fixture builders for what the REST API serves: every field set, so a dropped field shows. */

export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    detector: 'rules',
    id: 'exfil-after-pii',
    severity: 'high',
    score: 0.8,
    message: 'PII read, then sent to an external address',
    callIndex: 1,
    spanIds: ['00f067aa0ba902b7', '00f067aa0ba902b8'],
    ...overrides,
  };
}

export function sessionSnapshot(overrides: Partial<SessionSnapshot> = {}): SessionSnapshot {
  const session = overrides.session ?? 'session-1';
  return {
    session,
    service: 'travel-agent',
    userId: 'user-7',
    trust: 'verified',
    score: 0.82,
    level: 'high',
    callCount: 2,
    escalated: true,
    firstSeen: '2025-03-01T10:00:00.000Z',
    lastSeen: '2025-03-01T10:00:05.000Z',
    traceIds: ['4bf92f3577b34da6a3ce929d0e0e4736'],
    prompt: 'Book me a flight to Lisbon',
    findings: [finding()],
    timeline: [
      {
        index: 0,
        spanId: '00f067aa0ba902b7',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        tool: 'get_user_profile',
        server: 'crm',
        category: 'pii_access',
        effect: 'read',
        categoryInferred: false,
        origin: 'user',
        status: 'ok',
        startTime: '2025-03-01T10:00:01.000Z',
        durationMs: 12.5,
      },
      {
        index: 1,
        spanId: '00f067aa0ba902b8',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        tool: 'send_email',
        server: 'mail',
        category: 'external_communication',
        effect: 'send',
        categoryInferred: true,
        origin: 'nested',
        status: 'error',
        startTime: '2025-03-01T10:00:04.000Z',
        durationMs: 40,
      },
    ],
    escalation: {
      escalated: true,
      lastSignalAt: '2025-03-01T10:00:04.500Z',
      expiresAt: '2025-03-01T10:05:04.500Z',
      signalsSent: 1,
    },
    ...overrides,
  };
}

export function scoreUpdate(overrides: Partial<ScoreUpdate> = {}): ScoreUpdate {
  return {
    session: 'remote-session',
    service: 'banking-agent',
    traceIds: ['0af7651916cd43dd8448eb211c80319c'],
    userId: 'user-9',
    trust: 'unverified',
    score: 0.55,
    level: 'medium',
    callCount: 4,
    findings: [finding({ detector: 'markov', id: 'rare-transition', severity: 'medium', score: 0.5 })],
    escalated: false,
    updatedAt: '2025-03-01T11:00:00.000Z',
    ...overrides,
  };
}

export function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 'alert-1',
    session: 'session-1',
    service: 'travel-agent',
    userId: 'user-7',
    trust: 'verified',
    score: 0.82,
    level: 'high',
    finding: finding(),
    severity: 'high',
    createdAt: '2025-03-01T10:00:05.000Z',
    ...overrides,
  };
}
