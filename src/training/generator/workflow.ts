import type { AgentService } from './agent-apps.js';
import type { Rng } from './prng.js';
import type { SessionBuilder, TamperKind } from './session-builder.js';
import type { ServerFamily } from './tool-catalog.js';
import type { User } from './users.js';
import type { World } from './world.js';

/** A workflow: one kind of task users give an agent (the dataset's `user_task`). */

/** The workflow family (the dataset's `suite`). */
export type Suite = ServerFamily | 'general';

export interface WorkflowContext {
  readonly rng: Rng;
  readonly world: World;
  readonly user: User;
  readonly service: AgentService;
  /** Session start, ms since the epoch. */
  readonly startMs: number;
}

export interface WorkflowPlan {
  /** Values for the `{slot}` placeholders of the prompt templates. */
  readonly slots: Readonly<Record<string, string>>;
  run(agent: SessionBuilder): void;
}

export interface Workflow {
  readonly id: string;
  readonly suite: Suite;
  readonly services: readonly AgentService[];
  /** How often a user of one of the services does this, relative to the service's other workflows. */
  readonly weight: number;
  /** Paraphrases of the request, with `{slot}` placeholders. */
  readonly prompts: readonly string[];
  /** Every run reads at least one result that outside parties can write (an injection vector). */
  readonly injectable: boolean;
  /** Every run makes, after its first injectable read, a call with an argument of these kinds. */
  readonly tamper: readonly TamperKind[];
  plan(ctx: WorkflowContext): WorkflowPlan;
}
