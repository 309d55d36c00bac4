import { AGENT_APPS } from './agent-apps.js';
import type { AgentService } from './agent-apps.js';
import { ATTACK_TECHNIQUES, hideInBurst, INJECTION_TASKS, LATERAL_MIN_SERVERS } from './attack-goals.js';
import type { AttackTechnique, InjectionTask } from './attack-goals.js';
import { AttackRuntime } from './attack-runtime.js';
import type { AttackOutcome } from './attack-runtime.js';
import { drawAttackerValues } from './attacker-pools.js';
import type { AttackerValues } from './attacker-pools.js';
import { injectionText } from './injections.js';
import { createRng, deriveSeed } from './prng.js';
import type { Rng } from './prng.js';
import { sessionStartMs } from './schedule.js';
import { SessionBuilder } from './session-builder.js';
import type { RecordedCall, TamperKind } from './session-builder.js';
import { sessionTrace } from './session-trace.js';
import type { ToolListCall } from './session-trace.js';
import { phrase } from './users.js';
import type { User } from './users.js';
import type { Workflow, WorkflowContext } from './workflow.js';
import type { World } from './world.js';

/** One session from label to trace: who, when, which task, whether and how it is attacked. */

export const SESSION_LABELS = ['benign', 'attack_success', 'attack_failed'] as const;
export type SessionLabel = (typeof SESSION_LABELS)[number];

export interface LabelRow {
  readonly session: string;
  readonly suite: string;
  readonly user_task: string;
  readonly model: string;
  readonly pipeline: string;
  readonly label: SessionLabel;
  readonly attack: string;
  readonly injection_task: string;
  readonly inj_seen: string;
  readonly split: 'train' | 'test';
  readonly first_harmful_call: string;
  readonly trace: string;
}

export interface Population {
  readonly world: World;
  readonly users: readonly User[];
}

export interface SimulationSettings {
  readonly seed: number;
  readonly startMs: number;
  readonly days: number;
  /** Share of benign sessions put in the training split. */
  readonly trainShare: number;
}

export interface SimulatedSession {
  readonly traceId: string;
  readonly row: LabelRow;
  /** The ExportTraceServiceRequest as one JSON line (no newline). */
  readonly line: string;
  readonly toolCalls: number;
  readonly nestedCalls: number;
  readonly failedCalls: number;
  readonly toolListSpans: number;
}

/** Relative shares of the attack techniques among attacked sessions. */
const TECHNIQUE_WEIGHTS: Readonly<Record<AttackTechnique, number>> = {
  exfil_chain: 0.2,
  hijack: 0.2,
  arg_tamper: 0.18,
  lateral_movement: 0.14,
  denial_of_wallet: 0.14,
  spam_chain: 0.14,
};

/** Tool errors per call attempt (retried most of the time). */
const CALL_ERROR_RATE = 0.035;
/** Benign runs that stop on a model API error. */
const AGENT_ERROR_RATE = 0.005;
/** Sessions whose client lists the tools of its servers first. */
const TOOL_LIST_RATE = 0.06;
/** Successful lateral-sweep and denial-of-wallet attacks typed straight into the prompt by an insider. */
const INSIDER_SHARE = 0.35;
/** Resisted attacks whose poisoned record the agent never read. */
const UNSEEN_SHARE = 0.12;
const MAX_ATTEMPTS = 60;

const AGENT_ERRORS = [
  'RateLimitError: 429 Too Many Requests from the model provider',
  'APIConnectionError: connection to the model endpoint timed out',
  'InternalServerError: 529 model overloaded',
];

interface Host {
  readonly user: User;
  readonly service: AgentService;
  /** null for an insider's ad-hoc request. */
  readonly workflow: Workflow | null;
}

interface AttackChoice {
  readonly technique: AttackTechnique;
  readonly goal: InjectionTask;
  readonly outcome: AttackOutcome;
  readonly insider: boolean;
}

function weightedUser(rng: Rng, users: readonly User[]): User {
  return rng.weighted(
    users,
    users.map((u) => u.activity),
  );
}

function weightedPair<T>(rng: Rng, pairs: readonly (readonly [T, number])[]): T {
  return rng.weighted(
    pairs.map(([item]) => item),
    pairs.map(([, w]) => w),
  );
}

function chooseAttack(rng: Rng, label: SessionLabel): AttackChoice {
  const technique = rng.weighted(
    ATTACK_TECHNIQUES,
    ATTACK_TECHNIQUES.map((t) => TECHNIQUE_WEIGHTS[t]),
  );
  const goal = rng.pick(INJECTION_TASKS.filter((t) => t.techniques.includes(technique)));
  const success = label === 'attack_success';
  return {
    technique,
    goal,
    outcome: success ? 'success' : rng.chance(UNSEEN_SHARE) ? 'unseen' : 'resisted',
    insider: success && goal.insiderPrompts.length > 0 && rng.chance(INSIDER_SHARE),
  };
}

function canHost(workflow: Workflow, attack: AttackChoice): boolean {
  if (!workflow.injectable) return false;
  return (
    attack.technique !== 'arg_tamper' ||
    (attack.goal.tamperKind !== undefined && workflow.tamper.includes(attack.goal.tamperKind))
  );
}

function chooseHost(rng: Rng, users: readonly User[], attack: AttackChoice | null): Host | null {
  for (let tries = 0; tries < 40; tries++) {
    const user = weightedUser(rng, users);
    const service = weightedPair(rng, user.apps);
    if (attack !== null && !attack.goal.feasible(service)) continue;
    if (attack?.insider === true) return { user, service, workflow: null };
    const options = (user.workflows.get(service) ?? []).filter(([w]) => attack === null || canHost(w, attack));
    if (options.length === 0) continue;
    return { user, service, workflow: weightedPair(rng, options) };
  }
  return null;
}

function fillPrompt(template: string, slots: Readonly<Record<string, string>>, workflowId: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = slots[name];
    if (value === undefined) throw new Error(`workflow ${workflowId}: no value for prompt slot {${name}}`);
    return value;
  });
}

function tamperValue(kind: TamperKind, values: AttackerValues): string {
  return kind === 'email' ? values.email : kind === 'iban' ? values.iban : values.url;
}

/** Most distinct servers reached by harmful calls within any window of `windowMs`. */
function harmfulServersWithin(calls: readonly RecordedCall[], windowMs: number): number {
  const harmful = calls.filter((c) => c.harmful);
  let best = 0;
  for (const first of harmful) {
    const families = new Set(
      harmful.filter((c) => c.startMs >= first.startMs && c.startMs - first.startMs <= windowMs).map((c) => c.family),
    );
    best = Math.max(best, families.size);
  }
  return best;
}

/** The client lists the tools of each server the session goes on to use, right after connecting. */
function toolLists(rng: Rng, calls: readonly RecordedCall[]): ToolListCall[] {
  let start = rng.float(2, 25);
  const families = [...new Set(calls.filter((c) => c.parentSpanId === null).map((c) => c.family))];
  return families.map((family) => {
    const call = { spanId: rng.hex(8), family, startMs: start, endMs: start + Math.min(150, rng.logNormal(60, 0.5)) };
    start += rng.float(0.3, 4);
    return call;
  });
}

function buildOnce(
  population: Population,
  settings: SimulationSettings,
  label: SessionLabel,
  attack: AttackChoice | null,
  split: 'train' | 'test',
  rng: Rng,
): SimulatedSession | null {
  const traceId = rng.hex(16);
  const rootSpanId = rng.hex(8);
  const sessionId = `s-${rng.hex(8)}`;
  const host = chooseHost(rng, population.users, attack);
  if (host === null) return null;
  const { user, service, workflow } = host;
  const app = AGENT_APPS[service];
  const model = weightedPair(rng, app.models);
  const startMs = sessionStartMs(rng, user, settings.startMs, settings.days);
  const ctx: WorkflowContext = { rng, world: population.world, user, service, startMs };
  const values = drawAttackerValues(rng);

  let runtime: AttackRuntime | null = null;
  let prompt: string;
  let run: (agent: SessionBuilder) => void;
  if (workflow === null) {
    if (attack === null) return null;
    // An insider asks for the harmful thing directly: no injection anywhere.
    const goal = attack.goal.prepare({ ctx, values });
    prompt = phrase(rng, user, rng.pick(attack.goal.insiderPrompts));
    run = (agent) => {
      for (const step of goal.steps) step(agent);
    };
  } else {
    const plan = workflow.plan(ctx);
    prompt = phrase(rng, user, fillPrompt(rng.pick(workflow.prompts), plan.slots, workflow.id));
    run = (agent) => plan.run(agent);
    if (attack !== null) {
      const env = { ctx, values };
      const prepared =
        attack.technique === 'spam_chain' ? hideInBurst(env, attack.goal.prepare(env)) : attack.goal.prepare(env);
      const kind = attack.goal.tamperKind;
      runtime = new AttackRuntime({
        rng,
        technique: attack.technique,
        goal: prepared,
        injection: injectionText(rng, prepared.text, user.employee.name),
        outcome: attack.outcome,
        tamper:
          attack.technique === 'arg_tamper' && kind !== undefined ? { kind, value: tamperValue(kind, values) } : null,
      });
    }
  }

  const builder = new SessionBuilder({
    rng,
    turnLatencyMs: app.turnLatencyMs,
    errorRate: CALL_ERROR_RATE,
    attack: runtime,
  });
  run(builder);
  let calls = [...builder.calls].sort((a, b) => a.startMs - b.startMs);
  for (const call of calls) {
    if (call.parentSpanId === null && !app.servers.includes(call.family)) {
      throw new Error(
        `${workflow?.id ?? attack?.goal.id}: ${service} is not connected to ${call.family} (tool ${call.tool})`,
      );
    }
  }

  let agentError: string | null = null;
  if (attack === null && calls.length > 1 && rng.chance(AGENT_ERROR_RATE)) {
    const cut = calls[rng.int(1, calls.length - 1)]!.startMs;
    calls = calls.filter((c) => c.startMs < cut);
    agentError = rng.pick(AGENT_ERRORS);
  }

  // Start-time order must be unambiguous at the microsecond precision of the trace.
  for (let i = 1; i < calls.length; i++) {
    if (Math.round(calls[i]!.startMs * 1000) === Math.round(calls[i - 1]!.startMs * 1000)) return null;
  }
  const firstHarmful = calls.findIndex((c) => c.harmful);
  const injSeen = calls.some((c) => c.injected);
  if (attack !== null) {
    if (attack.outcome === 'success' && firstHarmful < 0) return null;
    if (attack.outcome === 'resisted' && !injSeen) return null;
    if (
      attack.technique === 'lateral_movement' &&
      attack.outcome === 'success' &&
      harmfulServersWithin(calls, 60_000) < LATERAL_MIN_SERVERS
    )
      return null;
  }

  const lists = rng.chance(TOOL_LIST_RATE) && calls.length > 0 ? toolLists(rng, calls) : [];
  const lastEnd = calls.reduce((end, c) => Math.max(end, c.endMs), 0);
  const endMs =
    calls.length === 0
      ? rng.logNormal(2500, 0.5)
      : lastEnd + Math.max(400, rng.logNormal(app.turnLatencyMs * 1.4, 0.5));
  const resultChars = calls.reduce((n, c) => n + (c.result?.length ?? 0), 0);
  const topLevel = calls.filter((c) => c.parentSpanId === null).length;
  const startNs = BigInt(startMs) * 1_000_000n + BigInt(rng.int(0, 999)) * 1000n;
  const trace = sessionTrace({
    traceId,
    rootSpanId,
    sessionId,
    service,
    serviceVersion: app.version,
    model,
    userId: user.employee.userId,
    prompt,
    startNs,
    endMs,
    calls,
    toolLists: lists,
    agentError,
    inputTokens: 900 + Math.round(prompt.length / 4) + topLevel * 350 + Math.round(resultChars / 3.6),
    outputTokens: 60 + topLevel * 45 + rng.int(30, 400),
  });

  return {
    traceId,
    line: JSON.stringify(trace),
    row: {
      session: sessionId,
      suite: workflow?.suite ?? 'general',
      user_task: workflow?.id ?? 'adhoc_request',
      model,
      pipeline: `${service}:${model}`,
      label,
      attack: attack?.technique ?? '',
      injection_task: attack?.goal.id ?? '',
      inj_seen: attack === null ? '' : String(injSeen),
      split,
      first_harmful_call: label === 'attack_success' && firstHarmful >= 0 ? String(firstHarmful) : '',
      trace: traceId,
    },
    toolCalls: calls.length,
    nestedCalls: calls.filter((c) => c.parentSpanId !== null).length,
    failedCalls: calls.filter((c) => c.error !== null).length,
    toolListSpans: lists.length,
  };
}

/**
 * Builds session `index` with the given label; deterministic in (seed, index, label). The split and the
 * attack are drawn once, so that retries (a run that did not produce what the label needs) do not skew them.
 */
export function simulateSession(
  population: Population,
  settings: SimulationSettings,
  label: SessionLabel,
  index: number,
): SimulatedSession {
  const split =
    label === 'benign' && createRng(deriveSeed(settings.seed, 'split', index)).chance(settings.trainShare)
      ? 'train'
      : 'test';
  const attack = label === 'benign' ? null : chooseAttack(createRng(deriveSeed(settings.seed, 'attack', index)), label);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const session = buildOnce(
      population,
      settings,
      label,
      attack,
      split,
      createRng(deriveSeed(settings.seed, 'session', index, attempt)),
    );
    if (session !== null) return session;
  }
  throw new Error(`session ${index} (${label}): no attempt produced a valid session`);
}
