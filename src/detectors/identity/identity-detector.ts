import type { CallRecord, SessionView } from '../../session/session-view.js';
import type { Detector } from '../detector.js';
import type { Finding } from '../finding.js';

export const IDENTITY_DETECTOR_ID = 'identity';

export interface IdentityDetectorOptions {
  /**
   * Score of the `unverified-identity` finding on sessions with no verified attestation: their other
   * evidence needs to reach only 1 - (1 - escalateAt) / (1 - unverifiedScore) to escalate instead of
   * `escalateAt` (with the plain noisy-OR; -log2(1 - unverifiedScore) fewer bits with a calibrated model).
   * Default 0.3: at the default escalateAt 0.6, other evidence of 0.43 instead of 0.6.
   */
  readonly unverifiedScore?: number;
}

interface IdentityState {
  unverifiedReported: boolean;
  invalidReported: boolean;
  spoofReported: boolean;
}

const INVALID_SCORE = 0.9;
const SPOOFED_SCORE = 0.99;

/**
 * Turns a session's trust into evidence: a session without a verified attestation is a little riskier
 * (it escalates sooner), a failed attestation is a high finding, and a span claiming another user than
 * the attested one is critical. Installed only where attestations are checked.
 */
export function createIdentityDetector(options: IdentityDetectorOptions = {}): Detector<IdentityState> {
  const unverifiedScore = options.unverifiedScore ?? 0.3;
  if (!(unverifiedScore >= 0 && unverifiedScore < 1)) {
    throw new Error(`identity detector: unverifiedScore ${unverifiedScore} must be in [0, 1)`);
  }
  const finding = (
    id: string,
    severity: Finding['severity'],
    score: number,
    message: string,
    call: CallRecord | undefined,
  ): Finding => ({
    detector: IDENTITY_DETECTOR_ID,
    id,
    severity,
    score,
    message,
    callIndex: call?.index ?? -1,
    spanIds: call === undefined ? [] : [call.event.spanId],
  });
  const invalid = (session: SessionView, call: CallRecord | undefined): Finding =>
    finding('invalid-attestation', 'high', INVALID_SCORE, `session attestation is invalid: ${session.identity?.detail ?? 'unknown reason'}`, call);

  return {
    id: IDENTITY_DETECTOR_ID,
    async preload() {},
    createState: () => ({ unverifiedReported: false, invalidReported: false, spoofReported: false }),
    observe({ session, state, call }): Finding[] {
      const found: Finding[] = [];
      if (session.trust === 'unverified' && !state.unverifiedReported && unverifiedScore > 0) {
        state.unverifiedReported = true;
        found.push(finding('unverified-identity', 'low', unverifiedScore, 'no verified attestation binds this session to a user', call));
      } else if (session.trust === 'invalid' && !state.invalidReported) {
        state.invalidReported = true;
        found.push(invalid(session, call));
      }
      const subject = session.identity?.subject ?? '';
      const claimed = call.event.userId;
      if (subject !== '' && claimed !== '' && claimed !== subject) {
        state.spoofReported = true;
        found.push(
          finding('spoofed-user', 'critical', SPOOFED_SCORE, `call ${call.event.tool} claims user '${claimed}'; the attestation binds '${subject}'`, call),
        );
      }
      return found;
    },
    observeEnd(session, state): Finding[] {
      if (session.trust === 'invalid' && !state.invalidReported) return [invalid(session, undefined)];
      if (session.trust === 'spoofed' && !state.spoofReported) {
        return [
          finding(
            'spoofed-user',
            'critical',
            SPOOFED_SCORE,
            `${session.identity?.detail ?? 'a span claims another user'}; the attestation binds '${session.identity?.subject ?? ''}'`,
            undefined,
          ),
        ];
      }
      return [];
    },
    async shutdown() {},
  };
}
