import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
import { SESSION_KEY_RANK } from '../normalize/events.js';
import type { Detector } from '../detectors/detector.js';
import type { Finding, Severity } from '../detectors/finding.js';
import { severityRank } from '../detectors/finding.js';
import type { AttestationCheck, TokenVerdict } from '../detectors/identity/token-verdict.js';
import { verdictAt } from '../detectors/identity/index.js';
import type { EventConsumer } from '../normalize/event-consumer.js';
import type { NormalizedEvent, SessionPromptEvent, SessionRootEvent, ToolCallEvent } from '../normalize/events.js';
import type { ScoreSink } from '../outputs/score-sink.js';
import { Session } from '../session/session.js';
import type { SessionLimits } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';
import type { EscalationPolicy } from './escalation-policy.js';
import type { LevelThresholds, RiskCombiner } from './risk-combiner.js';
import { levelOf } from './risk-combiner.js';
import type { Alert, EscalationSignal, RiskLevel, ScoreUpdate } from './risk.js';

/** The span that brought an attestation, whose claimed user the verdict is checked against. */
type AttestationClaim = Pick<ToolCallEvent, 'userId' | 'spanId' | 'startTimeMs'>;

/** The session a trace belongs to, and how strong the key that said so was (`SESSION_KEY_RANK`). */
interface TraceAlias {
  readonly id: string;
  readonly rank: number;
}

/** The detectors and how their findings become risk, levels and escalation: what a model reload swaps whole. */
export interface Detection {
  readonly detectors: readonly Detector[];
  readonly policy: EscalationPolicy;
  /** Findings → risk: the model's calibrated combiner, or the plain noisy-OR. */
  readonly combine: RiskCombiner;
  readonly levels: LevelThresholds;
}

export interface ScoringStageOptions extends Detection {
  readonly store: SessionStore;
  /** Findings at or above this severity are published as alerts. */
  readonly alertSeverity: Severity;
  readonly sink: ScoreSink;
  readonly limits: SessionLimits;
  /** Trace ids remembered to map spans without a session attribute onto their session. */
  readonly maxTraceAliases: number;
  readonly clock: () => number;
  readonly logger: Logger;
  /** Time each `tick` may spend re-scoring sessions held over a detection swap (at least one is done per tick). */
  readonly rescoreBudgetMs: number;
  /** Verifies root spans' attestations; without it every session stays `unverified`. */
  readonly attestations?: AttestationCheck;
}

/** What a session's risk would be with one more call, computed on a copy. */
export interface RiskPreview {
  /** Whether the session is live here; an unknown one is previewed as a new session. */
  readonly known: boolean;
  readonly current: { readonly score: number; readonly level: RiskLevel };
  readonly score: number;
  readonly level: RiskLevel;
  readonly trust: Session['trust'];
  /** Findings the call would complete (its own call index), strongest first. */
  readonly findings: readonly Finding[];
}

export interface ScoringCounters {
  events: number;
  duplicates: number;
  droppedCalls: number;
  replays: number;
  detectorErrors: number;
  alerts: number;
  signals: number;
  /** Attestations the verifier could not check (saturated): their sessions keep their trust until a retry on tick checks them. */
  attestationsUnchecked: number;
  /** Unchecked attestations not retried because `MAX_ATTESTATION_RETRIES` were waiting. */
  attestationRetriesDropped: number;
  /** Sessions re-scored because the detection changed (a model reload) while they were held. */
  rescoredAfterSwap: number;
}

const MAX_ALERTED_KEYS = 64;
/** Sessions whose attestation waits for a verifier that was saturated. */
const MAX_ATTESTATION_RETRIES = 10_000;

/**
 * The stateful stage: applies events to their sessions, runs the detectors, combines findings into
 * risk, and publishes scores, alerts and escalation signals. Never throws on the data path.
 */
export class ScoringStage implements EventConsumer {
  readonly counters: ScoringCounters = {
    events: 0,
    duplicates: 0,
    droppedCalls: 0,
    replays: 0,
    detectorErrors: 0,
    alerts: 0,
    signals: 0,
    attestationsUnchecked: 0,
    attestationRetriesDropped: 0,
    rescoredAfterSwap: 0,
  };
  /**
   * Sessions that left memory once over (idle, or pushed out), by their final level: against the model's
   * target, the share at `high` or above says whether its calibration still fits the traffic.
   */
  readonly completedByLevel: Record<RiskLevel, number> = { none: 0, low: 0, medium: 0, high: 0, critical: 0 };
  /** Trace -> the strongest session key seen on it, so that its other spans join that session. */
  private readonly traceAliases: LRUCache<string, TraceAlias>;
  private readonly escalated = new Set<Session>();
  private readonly failingDetectors = new Set<string>();
  private readonly verifying = new Set<Promise<void>>();
  /** Attestations the verifier answered `unchecked` (saturated, perhaps on purpose): checked again on tick. */
  private readonly attestationRetries = new Map<Session, { readonly token: string; readonly claim: AttestationClaim }>();
  private inUse: Detection;
  /** Bumped by each `useDetection`: a session scored under an older one is replayed before it is used. */
  private generation = 0;
  /** Sessions held when the detection last changed, re-scored a few at a time on `tick`. */
  private stale = new Set<Session>();

  constructor(private readonly options: ScoringStageOptions) {
    this.inUse = options;
    this.traceAliases = new LRUCache({ max: options.maxTraceAliases });
    options.store.onEvict((session, reason) => {
      this.escalated.delete(session);
      this.attestationRetries.delete(session);
      this.stale.delete(session);
      if (reason === 'idle' && !session.ended) this.settleQuiet(session);
      // Closing the store at shutdown cuts sessions short: not an outcome.
      if (reason !== 'closed') this.completedByLevel[session.level]++;
    });
  }

  get store(): SessionStore {
    return this.options.store;
  }

  /** The detectors and calibration in use (they change when a model is reloaded). */
  get detection(): Detection {
    return this.inUse;
  }

  /** Sessions still scored under the detection before the last swap (re-scored when their next span comes, or on `tick`). */
  get awaitingRescore(): number {
    return this.stale.size;
  }

  /**
   * Swaps the detectors and calibration (a reloaded model). Held sessions keep their score until they are
   * re-scored from their calls with the new detection: at once when a span of theirs comes, otherwise
   * on `tick` within `rescoreBudgetMs` (escalated ones first, then the most recently active), so a large
   * store does not stall ingestion.
   */
  useDetection(next: Detection): void {
    this.inUse = next;
    this.generation++;
    this.stale = new Set(this.options.store.values());
  }

  consume(events: readonly NormalizedEvent[]): void {
    // Grouped by session and in start-time order within it (roots start first, so a whole trace in one
    // batch is scored with its prompt); consecutive events of one session resolve it once.
    const ordered = [...events].sort(
      (a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : a.startTimeMs - b.startTimeMs),
    );
    const touched = new Set<Session>();
    const replay = new Set<Session>();
    let previous: NormalizedEvent | undefined;
    let session: Session | undefined;
    for (const event of ordered) {
      if (event.type === 'tool_list') continue;
      this.counters.events++;
      if (
        session === undefined ||
        previous === undefined ||
        previous.sessionId !== event.sessionId ||
        previous.traceId !== event.traceId ||
        previous.sessionKey !== event.sessionKey
      ) {
        session = this.sessionFor(event, replay);
        if (this.isStale(session)) replay.add(session);
      }
      previous = event;
      session.noteSpan(event.traceId, event.service, event.startTimeMs);
      touched.add(session);
      const trust = session.trust;
      if (event.type === 'session_root') {
        this.applyRoot(session, event, replay);
      } else if (event.type === 'session_prompt') {
        this.applyPrompt(session, event, replay);
      } else {
        this.applyCall(session, event, replay);
        this.applyCallAttestation(session, event);
      }
      // Detectors read the trust: a change re-scores the session from the start.
      if (session.trust !== trust) replay.add(session);
    }
    const nowMs = this.options.clock();
    // A session that lost a trace to its conversation is re-scored too, though no span of it came.
    for (const session of replay) touched.add(session);
    for (const session of touched) {
      if (replay.has(session) || session.ended) this.replay(session);
      this.rescore(session, nowMs);
    }
    // Once all are scored: staying within the memory budget may evict the least recently active sessions.
    for (const session of touched) {
      session.detectorBytes = this.detectorStateBytes(session);
      this.options.store.resize(session);
    }
  }

  /** Resolves once every attestation verification started so far has been applied. */
  async settled(): Promise<void> {
    while (this.verifying.size > 0) await Promise.all([...this.verifying]);
  }

  /**
   * The risk the session would have if `event` ran, from a copy of its calls replayed with fresh
   * detector states: the store, the session and the sinks are left untouched.
   */
  preview(sessionId: string, event: ToolCallEvent): RiskPreview {
    const live = this.options.store.peek(sessionId);
    const copy = live?.copyForPreview() ?? new Session(sessionId, this.options.limits);
    copy.noteSpan(event.traceId, event.service, event.startTimeMs);
    copy.addCall(event);
    copy.refreshOrigins();
    copy.detectorStates = this.freshStates(copy);
    this.runDetectors(copy, true);
    const score = this.inUse.combine(copy.findings);
    const index = copy.calls.findIndex((call) => call.event.spanId === event.spanId);
    return {
      known: live !== undefined,
      current: { score: live?.score ?? 0, level: live?.level ?? 'none' },
      score,
      level: levelOf(score, this.inUse.levels),
      trust: copy.trust,
      findings: copy.findings.filter((finding) => index >= 0 && finding.callIndex === index).sort((a, b) => b.score - a.score),
    };
  }

  /**
   * Settles time-dependent evidence, renews escalation signals due before their TTL, re-scores sessions
   * held over a detection swap and evicts idle sessions. Call periodically.
   */
  tick(): void {
    const nowMs = this.options.clock();
    this.retryAttestations();
    this.rescoreStale(nowMs);
    this.sweep(nowMs);
    for (const session of this.escalated) this.escalate(session, nowMs);
    this.options.store.purgeIdle();
  }

  /**
   * Asks the detectors for evidence that waited for time to pass (as of `nowMs`; a replay of a finished
   * trace file passes +Infinity: nothing more will come) and scores the sessions it belongs to.
   */
  sweep(nowMs: number): void {
    const { store } = this.options;
    const touched = new Set<Session>();
    for (const detector of this.inUse.detectors) {
      if (detector.sweep === undefined) continue;
      try {
        for (const { sessionId, finding } of detector.sweep(nowMs, (event) => this.sessionHolding(event))) {
          const session = store.peek(sessionId);
          if (session === undefined) continue;
          session.addFindings([finding]);
          touched.add(session);
        }
      } catch (error) {
        this.detectorFailed(detector, error);
      }
    }
    const clockMs = this.options.clock();
    for (const session of touched) this.rescoreWithDetectionInUse(session, clockMs);
  }

  /**
   * The input is over (the end of a replayed file): every held session whose root span never came is
   * settled as a quiet one is when it leaves the store idle, with what waited for its end.
   */
  settleAll(): void {
    for (const session of [...this.options.store.values()]) if (!session.ended) this.settleQuiet(session);
  }

  /** Sessions held over the last swap, replayed with the detection in use until the tick's budget is spent. */
  private rescoreStale(nowMs: number): void {
    if (this.stale.size === 0) return;
    const until = performance.now() + this.options.rescoreBudgetMs;
    let done = 0;
    // Escalated sessions first: their renewals are decided on their risk, which should be the new model's.
    for (const sessions of [[...this.escalated].filter((session) => this.stale.has(session)), this.stale]) {
      for (const session of sessions) {
        if (done > 0 && performance.now() >= until) return;
        done++;
        if (this.isStale(session) && this.options.store.peek(session.id) === session) this.rescoreWithDetectionInUse(session, nowMs);
        else this.stale.delete(session);
      }
    }
  }

  /** Scored under a detection swapped out since: its states and findings are the old detectors'. */
  private isStale(session: Session): boolean {
    return session.generation !== this.generation;
  }

  /** Its risk under the detection in use: a session held over a swap is replayed first (which takes it out of `stale`). */
  private rescoreWithDetectionInUse(session: Session, nowMs: number): void {
    if (this.isStale(session)) this.replay(session);
    this.rescore(session, nowMs);
  }

  private sessionFor(event: NormalizedEvent, replay: Set<Session>): Session {
    const { store } = this.options;
    let id = event.sessionId;
    const rank = SESSION_KEY_RANK[event.sessionKey];
    const alias = this.traceAliases.get(event.traceId);
    // A weaker key defers to the trace's session, and so does a second MCP server's transport session:
    // one trace is one agent turn, so its calls to every server are one chain.
    if (alias !== undefined && (alias.rank > rank || (alias.rank === rank && rank === SESSION_KEY_RANK.transport))) {
      id = alias.id;
    } else if (rank > 0 && alias?.id !== id) {
      this.traceAliases.set(event.traceId, { id, rank });
      // Spans filed under the trace, or under a transport session, before this key was known move here.
      const earlier = alias === undefined ? event.traceId : alias.rank < rank ? alias.id : undefined;
      const provisional = earlier === undefined || earlier === id ? undefined : store.peek(earlier);
      if (provisional !== undefined) return this.adopt(provisional, event.traceId, id, event.service, replay);
    }
    return this.sessionNamed(id);
  }

  /** The held session a call is filed under: its own, or the one its trace's calls moved to. */
  private sessionHolding(event: ToolCallEvent): Session | undefined {
    const { store } = this.options;
    return store.peek(event.sessionId) ?? store.peek(this.traceAliases.peek(event.traceId)?.id ?? event.traceId);
  }

  /** The live session of that id, or a new one in the store. */
  private sessionNamed(id: string): Session {
    const { store } = this.options;
    const live = store.get(id);
    if (live !== undefined) return live;
    const session = new Session(id, this.options.limits);
    session.detectorStates = this.freshStates(session);
    store.set(session);
    return session;
  }

  /**
   * Spans that came before their session's key was known were filed under the trace id or a transport
   * session: move the trace's calls to `id`. A transport session that also carries other traces keeps
   * them and is scored again without this one.
   */
  private adopt(provisional: Session, traceId: string, id: string, service: string, replay: Set<Session>): Session {
    const moved = provisional.calls.filter((call) => call.event.traceId === traceId).map((call) => call.event);
    // Evidence joined across sessions (a rule by trace or user) is not reproduced by a replay, whose rule
    // state has counted those calls already: it moves with its calls, re-pointed at the call that completed it.
    const movedSpans = new Set(moved.map((event) => event.spanId));
    // Read before the trace leaves: what the detectors were shown of it, they must not count again.
    const observed = moved.filter((event) => provisional.wasObserved(event.spanId)).map((event) => event.spanId);
    const carried = provisional.findings
      .filter((finding) => finding.crossSession === true && finding.spanIds.some((span) => movedSpans.has(span)))
      .map((finding) => ({ finding, completedBy: provisional.calls[finding.callIndex]?.event.spanId }));
    const keepsOthers = provisional.traceIds.some((t) => t !== traceId);
    if (keepsOthers) {
      provisional.removeTrace(traceId);
      provisional.findings = provisional.findings.filter((finding) => !carried.some((c) => c.finding === finding));
      replay.add(provisional);
    } else {
      this.options.store.delete(provisional.id);
      this.escalated.delete(provisional);
    }
    const session = this.sessionNamed(id);
    // The span that names the session speaks for it, not the spans filed under its trace id before.
    if (session.service === '') session.service = service;
    session.noteSpan(traceId, provisional.service, provisional.firstSeenMs);
    for (const spanId of observed) session.markObserved(spanId);
    for (const event of moved) session.addCall(event);
    session.addFindings(
      carried.map(({ finding, completedBy }) => ({
        ...finding,
        callIndex: completedBy === undefined ? finding.callIndex : session.calls.findIndex((call) => call.event.spanId === completedBy),
      })),
    );
    if (!keepsOthers) {
      // What the trace brought before its key was known: the prompt (a model call's or the root's), the root.
      if (session.prompt === '') session.prompt = provisional.prompt;
      if (provisional.ended) {
        session.ended = true;
        session.rootSpanId = provisional.rootSpanId;
      }
    }
    replay.add(session);
    return session;
  }

  private applyRoot(session: Session, event: SessionRootEvent, replay: Set<Session>): void {
    if (session.rootSpanId === event.spanId) {
      this.counters.duplicates++;
      return;
    }
    session.applyRoot(event);
    replay.add(session);
    const { attestations } = this.options;
    if (attestations === undefined) return;
    if (event.attestation === '') session.checkClaim(event.userId, event.spanId);
    else this.attest(attestations, session, event.attestation, event);
  }

  /**
   * The prompt a model call saw, until the root span brings the session's own (which prevails): the
   * calls so far, judged without knowing what the session is for, are judged again with it.
   */
  private applyPrompt(session: Session, event: SessionPromptEvent, replay: Set<Session>): void {
    if (session.prompt !== '') return;
    session.prompt = event.prompt;
    if (session.calls.length > 0) replay.add(session);
  }

  /**
   * A tool span that carries the attestation lets the turn be verified before its root span, which
   * ends (and is exported) last. Only under the conversation it names: the token's `sid` is that id.
   */
  private applyCallAttestation(session: Session, event: ToolCallEvent): void {
    const { attestations } = this.options;
    if (attestations === undefined || event.attestation === '' || session.attestation !== '') return;
    if (event.sessionKey !== 'conversation' || event.sessionId !== session.id) return;
    session.attestation = event.attestation;
    this.attest(attestations, session, event.attestation, event);
  }

  /** Applies the token's verdict, cached per token; verification is async, and a late verdict re-scores the session. */
  private attest(attestations: AttestationCheck, session: Session, token: string, claim: AttestationClaim): void {
    const known = attestations.cached(token);
    if (known !== undefined) {
      this.applyVerdict(session, known, claim);
      return;
    }
    const verification = attestations.verify(token).then((verdict) => {
      this.verifying.delete(verification);
      if (this.options.store.peek(session.id) !== session) return;
      if (verdict.status === 'unchecked') this.retryAttestationLater(session, token, claim);
      if (!this.applyVerdict(session, verdict, claim)) return;
      this.replay(session);
      this.rescore(session, this.options.clock());
    });
    this.verifying.add(verification);
  }

  /**
   * A flood of attestations saturates the verifier; a forged one among them must still be judged (it
   * alerts, an unverified session does not), so each waits for a retry on a later tick.
   */
  private retryAttestationLater(session: Session, token: string, claim: AttestationClaim): void {
    if (this.attestationRetries.size >= MAX_ATTESTATION_RETRIES && !this.attestationRetries.has(session)) {
      this.counters.attestationRetriesDropped++;
      return;
    }
    this.attestationRetries.set(session, { token, claim });
  }

  private retryAttestations(): void {
    const { attestations } = this.options;
    if (attestations === undefined || this.attestationRetries.size === 0) return;
    const waiting = [...this.attestationRetries];
    this.attestationRetries.clear();
    for (const [session, { token, claim }] of waiting) {
      if (this.options.store.peek(session.id) === session) this.attest(attestations, session, token, claim);
    }
  }

  private applyVerdict(session: Session, verdict: TokenVerdict, claim: AttestationClaim): boolean {
    if (verdict.status === 'unchecked') this.counters.attestationsUnchecked++;
    const attestations = this.options.attestations;
    const then = attestations === undefined ? verdict : verdictAt(verdict, claim.startTimeMs, attestations.clockToleranceMs);
    return session.applyAttestation(then, claim.userId, claim.spanId);
  }

  private applyCall(session: Session, event: ToolCallEvent, replay: Set<Session>): void {
    const placement = session.addCall(event);
    switch (placement) {
      case 'duplicate':
        this.counters.duplicates++;
        return;
      case 'dropped':
        this.counters.droppedCalls++;
        return;
      case 'inserted':
        replay.add(session);
        return;
      case 'appended':
        if (!replay.has(session) && !session.ended) this.observe(session, session.calls.length - 1, false);
        return;
    }
  }

  private detectorStateBytes(session: Session): number {
    const { detectors } = this.inUse;
    let bytes = 0;
    for (let d = 0; d < detectors.length; d++) {
      const detector = detectors[d]!;
      try {
        bytes += detector.stateBytes?.(session.detectorStates[d]) ?? 0;
      } catch (error) {
        this.detectorFailed(detector, error);
      }
    }
    return bytes;
  }

  private freshStates(session: Session): unknown[] {
    session.generation = this.generation;
    return this.inUse.detectors.map((detector) => detector.createState(session));
  }

  private observe(session: Session, index: number, dryRun: boolean): void {
    const call = session.calls[index]!;
    const replayed = dryRun ? session.wasObserved(call.event.spanId) : !session.markObserved(call.event.spanId);
    const { detectors } = this.inUse;
    for (let d = 0; d < detectors.length; d++) {
      const detector = detectors[d]!;
      try {
        const found = detector.observe({ session, state: session.detectorStates[d], call, dryRun, replayed });
        if (found.length > 0) session.addFindings(found);
      } catch (error) {
        this.detectorFailed(detector, error);
      }
    }
  }

  /** Re-runs every detector over the session in start-time order, from fresh states. */
  private replay(session: Session): void {
    this.counters.replays++;
    if (this.isStale(session)) {
      this.counters.rescoredAfterSwap++;
      this.stale.delete(session);
    }
    session.refreshOrigins();
    session.findings = session.findings.filter((finding) => finding.crossSession === true);
    session.detectorStates = this.freshStates(session);
    this.runDetectors(session);
  }

  /** Every call through every detector, then the session-level evidence once the root has arrived. */
  private runDetectors(session: Session, dryRun = false): void {
    for (let i = 0; i < session.calls.length; i++) this.observe(session, i, dryRun);
    if (session.ended) this.observeEnd(session);
  }

  /**
   * A session whose root span never came (an agent that crashed, an instrumentation without one) is
   * over once it has been idle for the store's TTL: what waited for its end is settled and published
   * as it leaves the store.
   */
  private settleQuiet(session: Session): void {
    session.ended = true;
    if (this.isStale(session)) {
      // Its states are the old detectors': a replay, which ends with the session-level evidence.
      this.rescoreWithDetectionInUse(session, this.options.clock());
    } else {
      const before = session.findings.length;
      this.observeEnd(session);
      if (session.findings.length === before) return;
      this.rescore(session, this.options.clock());
    }
    // It is no longer held: nothing will renew or release its escalation.
    this.escalated.delete(session);
  }

  private observeEnd(session: Session): void {
    const { detectors } = this.inUse;
    for (let d = 0; d < detectors.length; d++) {
      const detector = detectors[d]!;
      if (detector.observeEnd === undefined) continue;
      try {
        session.addFindings(detector.observeEnd(session, session.detectorStates[d]));
      } catch (error) {
        this.detectorFailed(detector, error);
      }
    }
  }

  private detectorFailed(detector: Detector, error: unknown): void {
    this.counters.detectorErrors++;
    if (this.failingDetectors.has(detector.id)) return;
    this.failingDetectors.add(detector.id);
    this.options.logger.error({ err: error, detector: detector.id }, 'detector failed; its evidence is skipped (logged once)');
  }

  private rescore(session: Session, nowMs: number): void {
    const { combine, levels } = this.inUse;
    session.score = combine(session.findings);
    session.level = levelOf(session.score, levels);
    if (session.callsAtAlert < 0 && session.score >= levels.high) session.callsAtAlert = session.calls.length;
    this.publishAlerts(session, nowMs);
    this.escalate(session, nowMs);
    // Publish what changed the risk picture, not every call: a quiet session is published once.
    if (session.score === session.publishedScore && session.findings.length === session.publishedFindings) return;
    session.publishedScore = session.score;
    session.publishedFindings = session.findings.length;
    this.options.sink.publishScore(this.scoreUpdate(session, nowMs));
  }

  private escalate(session: Session, nowMs: number): void {
    const { policy } = this.inUse;
    const decision = policy.decide(session, session.score, nowMs);
    const signal = policy.apply(session, decision, nowMs);
    // Only held sessions are renewed: one pushed out of the store by its batch keeps its one signal.
    if (session.escalated && this.options.store.peek(session.id) === session) this.escalated.add(session);
    else this.escalated.delete(session);
    if (!signal) return;
    session.signalsSent++;
    this.counters.signals++;
    this.options.sink.publishEscalation(this.signalFor(session, nowMs));
  }

  private publishAlerts(session: Session, nowMs: number): void {
    const minimum = severityRank(this.options.alertSeverity);
    for (const finding of session.findings) {
      if (severityRank(finding.severity) < minimum) continue;
      const key = alertKey(finding);
      if (!session.markAlerted(key, MAX_ALERTED_KEYS)) continue;
      this.counters.alerts++;
      this.options.sink.publishAlert(this.alertFor(session, finding, key, nowMs));
    }
  }

  private scoreUpdate(session: Session, nowMs: number): ScoreUpdate {
    return {
      session: session.id,
      service: session.service,
      traceIds: [...session.traceIds],
      userId: session.userId,
      trust: session.trust,
      score: session.score,
      level: session.level,
      callCount: session.calls.length,
      findings: [...session.findings],
      escalated: session.escalated,
      updatedAt: new Date(nowMs).toISOString(),
    };
  }

  private alertFor(session: Session, finding: Finding, key: string, nowMs: number): Alert {
    return {
      id: `${session.id}/${key}`,
      session: session.id,
      service: session.service,
      userId: session.userId,
      trust: session.trust,
      score: session.score,
      level: session.level,
      finding,
      severity: finding.severity,
      createdAt: new Date(nowMs).toISOString(),
    };
  }

  private signalFor(session: Session, nowMs: number): EscalationSignal {
    const strongest = session.findings.reduce<Finding | undefined>(
      (best, finding) => (best === undefined || finding.score > best.score ? finding : best),
      undefined,
    );
    return {
      session: session.id,
      traceIds: [...session.traceIds],
      service: session.service,
      level: 'full',
      ttlSeconds: this.inUse.policy.options.ttlSeconds,
      reason: strongest?.message ?? `risk ${session.score.toFixed(2)}`,
      score: session.score,
      issuedAt: new Date(nowMs).toISOString(),
    };
  }
}

function alertKey(finding: Finding): string {
  return `${finding.detector}:${finding.id}:${finding.spanIds.join(',')}`;
}
