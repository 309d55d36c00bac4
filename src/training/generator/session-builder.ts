import type { Rng } from './prng.js';
import { toolSpec } from './tool-catalog.js';
import type { ServerFamily } from './tool-catalog.js';

/** Records what an agent does in one session: calls, their timing, nesting, failures and retries. */

/** Tool results are cut like the AgentDojo traces cut them. */
const RESULT_LIMIT = 2000;

export type TamperKind = 'email' | 'iban' | 'url';

export interface ResultContext {
  readonly args: Readonly<Record<string, unknown>>;
  /** Injected text to weave into the result, when an attack planted some here. */
  readonly injection: string | undefined;
}

export type ResultText = string | ((ctx: ResultContext) => string);

export interface CallSpec {
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly result: ResultText;
  /** The result carries text others wrote (tickets, pages, web pages, logs), so an injection can ride on it. */
  readonly injectable?: boolean;
  /** An argument that an injection may get the agent to swap for an attacker's value. */
  readonly tamper?: { readonly key: string; readonly kind: TamperKind };
  /** Calls the tool's server makes while it runs (a sandbox querying the warehouse). */
  readonly nested?: (calls: NestedCalls) => void;
  /** Made on the attacker's behalf. */
  readonly harmful?: boolean;
  /** Overrides the catalog's median latency. */
  readonly latencyMs?: number;
}

export interface NestedCalls {
  call(spec: CallSpec): void;
}

export interface CallError {
  readonly type: 'tool_error' | 'timeout';
  readonly message: string;
}

export interface RecordedCall {
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly tool: string;
  readonly family: ServerFamily;
  readonly argumentsJson: string;
  /** null when the call failed. */
  readonly result: string | null;
  readonly startMs: number;
  endMs: number;
  readonly error: CallError | null;
  readonly harmful: boolean;
  /** The injected text is in the recorded result. */
  readonly injected: boolean;
}

/** What an attack needs from the recorder; the builder knows nothing else about attacks. */
export interface AttackHooks {
  /** Text to plant in this injectable result, or undefined to leave it clean. */
  injectionFor(spec: CallSpec): string | undefined;
  /** Runs right after the injected result reached the agent. */
  afterInjection(agent: SessionBuilder): void;
  /** The attacker's value for a tamperable argument, once the injection has been seen. */
  tamperValue(kind: TamperKind): string | undefined;
}

export interface SessionBuilderOptions {
  readonly rng: Rng;
  readonly turnLatencyMs: number;
  /** Probability that one call attempt fails. */
  readonly errorRate: number;
  readonly attack: AttackHooks | null;
}

const TRANSIENT_ERRORS: readonly CallError[] = [
  { type: 'tool_error', message: '503 Service Unavailable: upstream backend not ready' },
  { type: 'tool_error', message: 'rate limit exceeded (429), retry after 2s' },
  { type: 'tool_error', message: 'ECONNRESET: connection reset by peer' },
  { type: 'tool_error', message: 'internal error (-32603): backend returned an unexpected response' },
  { type: 'timeout', message: 'MCP request timed out after 30000 ms' },
];

const TOOL_ERRORS: Readonly<Record<string, CallError>> = {
  run_query: { type: 'tool_error', message: 'ERROR: canceling statement due to statement timeout' },
  run_python: { type: 'tool_error', message: 'Sandbox error: kernel died unexpectedly (out of memory), restarting' },
  fetch_url: { type: 'tool_error', message: '502 Bad Gateway while fetching the page' },
  get_logs: { type: 'timeout', message: 'log query timed out after 30000 ms' },
  export_contacts: { type: 'timeout', message: 'MCP request timed out after 30000 ms' },
};

export class SessionBuilder {
  private readonly rng: Rng;
  private readonly options: SessionBuilderOptions;
  private readonly recorded: RecordedCall[] = [];
  private clockMs = 0;
  private turns = 0;

  constructor(options: SessionBuilderOptions) {
    this.rng = options.rng;
    this.options = options;
  }

  get calls(): readonly RecordedCall[] {
    return this.recorded;
  }

  get nowMs(): number {
    return this.clockMs;
  }

  /** LLM turn: the model reads the last results and decides the next step. */
  think(scale = 1): void {
    const median = this.options.turnLatencyMs * scale * (this.turns === 0 ? 1.3 : 1);
    this.clockMs += Math.min(20_000, Math.max(350, this.rng.logNormal(median, 0.45)));
    this.turns++;
  }

  /** Time passes without a call (waiting for a rollout, a loop's sleep). */
  wait(ms: number): void {
    this.clockMs += ms;
  }

  /** One tool call in its own turn (`thinkScale` shortens the turn). Returns the final attempt. */
  call(spec: CallSpec, thinkScale = 1): RecordedCall {
    this.think(thinkScale);
    return this.attempt(spec);
  }

  /** Calls the model made in one turn: they start within a few milliseconds of each other. */
  parallel(specs: readonly CallSpec[], thinkScale = 1): void {
    if (specs.length === 0) return;
    this.think(thinkScale);
    let start = this.clockMs;
    let end = this.clockMs;
    const done: { spec: CallSpec; record: RecordedCall }[] = [];
    for (const spec of specs) {
      const record = this.perform(spec, start, null);
      done.push({ spec, record });
      end = Math.max(end, record.endMs);
      start += this.rng.float(0.2, 4);
    }
    this.clockMs = end;
    for (const { spec, record } of done) {
      if (record.error !== null) this.retry(spec, record);
    }
    for (const { record } of done) {
      if (record.injected) this.options.attack?.afterInjection(this);
    }
  }

  /** The same call made back to back without a model turn in between (a loop in generated code or a client). */
  rapid(spec: CallSpec, count: number, gapMs: readonly [number, number], thinkScale = 1): void {
    this.think(thinkScale);
    for (let i = 0; i < count; i++) {
      const record = this.perform(spec, this.clockMs, null);
      this.clockMs = record.endMs + this.rng.float(gapMs[0], gapMs[1]);
    }
  }

  private attempt(spec: CallSpec): RecordedCall {
    const record = this.perform(spec, this.clockMs, null);
    this.clockMs = record.endMs;
    if (record.error !== null) return this.retry(spec, record);
    if (record.injected) this.options.attack?.afterInjection(this);
    return record;
  }

  /** Most failed calls are retried after a short turn; protected ones until they succeed. */
  private retry(spec: CallSpec, failed: RecordedCall): RecordedCall {
    let last = failed;
    for (let tries = 0; tries < 3 && last.error !== null; tries++) {
      if (!this.isProtected(spec) && !this.rng.chance(tries === 0 ? 0.85 : 0.5)) return last;
      this.think(0.5);
      last = this.perform(spec, this.clockMs, null, tries === 2);
      this.clockMs = last.endMs;
    }
    if (last.injected) this.options.attack?.afterInjection(this);
    return last;
  }

  private isProtected(spec: CallSpec): boolean {
    return spec.injectable === true || spec.tamper !== undefined || spec.harmful === true;
  }

  private perform(spec: CallSpec, startMs: number, parentSpanId: string | null, noFailure = false): RecordedCall {
    const tool = toolSpec(spec.tool);
    let args = spec.args;
    let harmful = spec.harmful === true;
    const attack = this.options.attack;
    if (spec.tamper !== undefined && attack !== null) {
      const value = attack.tamperValue(spec.tamper.kind);
      if (value !== undefined) {
        const current = args[spec.tamper.key];
        args = { ...args, [spec.tamper.key]: Array.isArray(current) ? [value] : value };
        harmful = true;
      }
    }
    const durationMs = Math.min(60_000, Math.max(8, this.rng.logNormal(spec.latencyMs ?? tool.latencyMs, 0.5)));
    const spanId = this.rng.hex(8);
    const fails = !noFailure && !harmful && this.rng.chance(this.options.errorRate);
    const base = { spanId, parentSpanId, tool: tool.name, family: tool.family, argumentsJson: JSON.stringify(args), startMs, harmful };
    if (fails) {
      const specific = TOOL_ERRORS[spec.tool];
      const error = specific !== undefined && this.rng.chance(0.6) ? specific : this.rng.pick(TRANSIENT_ERRORS);
      const endMs = startMs + (error.type === 'timeout' ? this.rng.float(29_990, 30_060) : durationMs * this.rng.float(0.2, 1));
      const record: RecordedCall = { ...base, result: null, endMs, error, injected: false };
      this.recorded.push(record);
      return record;
    }
    const injection = spec.injectable === true && attack !== null ? attack.injectionFor(spec) : undefined;
    const text = typeof spec.result === 'string' ? spec.result : spec.result({ args, injection });
    const result = text.length > RESULT_LIMIT ? text.slice(0, RESULT_LIMIT) : text;
    const injected = injection !== undefined && result.includes(injection);
    const record: RecordedCall = { ...base, result, endMs: startMs + durationMs, error: null, injected };
    this.recorded.push(record);
    if (spec.nested !== undefined) {
      let childClock = startMs + this.rng.float(15, 120);
      spec.nested({
        call: (child) => {
          const childRecord = this.perform(child, childClock, spanId, true);
          childClock = childRecord.endMs + this.rng.float(2, 40);
        },
      });
      record.endMs = Math.max(record.endMs, childClock + this.rng.float(5, 60));
    }
    return record;
  }
}
