import type { Finding } from '../detectors/finding.js';
import { SpanKind } from '../ingest/otlp/types.js';
import type { ToolClass } from '../normalize/events.js';
import type { ToolCatalog } from '../normalize/tool-catalog.js';
import type { LevelThresholds } from './risk-combiner.js';
import type { RiskLevel } from './risk.js';
import type { RiskPreview, ScoringStage } from './scoring-stage.js';

export type PreflightDecision = 'allow' | 'review' | 'deny';

/** Risk at which a proposed call is held for review, and at which it is refused. */
export interface PreflightThresholds {
  readonly reviewAt: number;
  readonly denyAt: number;
}

/** A call an MCP gateway holds and asks about before letting it run. */
export interface ProposedCall {
  readonly session: string;
  readonly tool: string;
  /** As the call would send them; null when unknown. */
  readonly arguments?: unknown;
  readonly server?: string;
  /** The user the call claims; checked against the session's attestation like a span's. */
  readonly userId?: string;
}

export interface PreflightAnswer {
  readonly session: string;
  readonly tool: string;
  readonly category: ToolClass['category'];
  readonly decision: PreflightDecision;
  readonly known: boolean;
  readonly current: { readonly score: number; readonly level: RiskLevel };
  readonly score: number;
  readonly level: RiskLevel;
  readonly trust: RiskPreview['trust'];
  readonly findings: readonly Finding[];
  readonly thresholds: PreflightThresholds;
}

/** By default a call is reviewed from the `medium` level and denied from `high`. */
export function preflightThresholds(levels: LevelThresholds, overrides: Partial<PreflightThresholds> = {}): PreflightThresholds {
  const thresholds = { reviewAt: levels.medium, denyAt: levels.high, ...overrides };
  const { reviewAt, denyAt } = thresholds;
  if (!(reviewAt > 0 && reviewAt <= denyAt && denyAt <= 1)) {
    throw new Error(`preflight thresholds: need 0 < reviewAt (${reviewAt}) <= denyAt (${denyAt}) <= 1`);
  }
  return thresholds;
}

export function decide(score: number, thresholds: PreflightThresholds): PreflightDecision {
  if (score >= thresholds.denyAt) return 'deny';
  if (score >= thresholds.reviewAt) return 'review';
  return 'allow';
}

export interface PreflightCheckOptions {
  readonly scoring: ScoringStage;
  /** Classes the proposed tool, and places it on a server when the request names none. */
  readonly catalog: Pick<ToolCatalog, 'classify' | 'serverOf'>;
  /** The thresholds to start with; `useThresholds` replaces them (a reloaded model moves the levels). */
  readonly thresholds: PreflightThresholds;
  readonly clock?: () => number;
}

/** Span id of the proposed call in the previewed copy; no real span id (16 hex digits) looks like it. */
const PROPOSED_SPAN_ID = 'proposed-call';

/**
 * Answers "what if this call ran now?" for gateways that can hold a call: the session's risk with the
 * call appended, and a decision by thresholds. Read-only: nothing is stored, published or escalated.
 */
export class PreflightCheck {
  private readonly clock: () => number;
  private thresholds: PreflightThresholds;

  constructor(private readonly options: PreflightCheckOptions) {
    this.clock = options.clock ?? Date.now;
    this.thresholds = options.thresholds;
  }

  /** Checked thresholds (`preflightThresholds`) to decide by from now on. */
  useThresholds(thresholds: PreflightThresholds): void {
    this.thresholds = thresholds;
  }

  check(call: ProposedCall): PreflightAnswer {
    const { scoring, catalog } = this.options;
    const { thresholds } = this;
    const live = scoring.store.peek(call.session);
    const toolClass = catalog.classify(call.tool);
    const preview = scoring.preview(call.session, {
      type: 'tool_call',
      sessionId: call.session,
      sessionKey: 'conversation',
      traceId: live?.traceIds.at(-1) ?? '',
      spanId: PROPOSED_SPAN_ID,
      parentSpanId: '',
      service: live?.service ?? '',
      // After everything the session has seen, so the call is appended as the next one would be.
      startTimeMs: Math.max(this.clock(), (live?.lastSeenMs ?? 0) + 1),
      convention: 'semconv',
      spanKind: SpanKind.CLIENT,
      tool: call.tool,
      server: call.server || catalog.serverOf(call.tool),
      toolClass,
      arguments: call.arguments ?? null,
      result: '',
      status: 'ok',
      errorType: '',
      durationMs: 0,
      requestId: '',
      userId: call.userId ?? '',
      attestation: '',
    });
    return {
      session: call.session,
      tool: call.tool,
      category: toolClass.category,
      decision: decide(preview.score, thresholds),
      known: preview.known,
      current: preview.current,
      score: preview.score,
      level: preview.level,
      trust: preview.trust,
      findings: preview.findings,
      thresholds,
    };
  }
}
