import { DEPARTMENT_APPS } from './agent-apps.js';
import type { AgentService } from './agent-apps.js';
import type { Rng } from './prng.js';
import type { Workflow } from './workflow.js';
import { CLOUD_REGIONS } from './world.js';
import type { Account, Employee, Microservice, World } from './world.js';

/** The people who use the agents, each with habits: what, when, how much, and in what words. */

export interface Phrasing {
  readonly prefix: string;
  readonly prefixRate: number;
  readonly suffix: string;
  readonly suffixRate: number;
  /** Writes in lower case and drops the final punctuation. */
  readonly casual: boolean;
}

export interface User {
  readonly employee: Employee;
  /** Relative number of sessions; a few people use the agents far more than the rest. */
  readonly activity: number;
  readonly utcOffsetHours: number;
  /** Local working hours. */
  readonly dayStartHour: number;
  readonly dayEndHour: number;
  /** Relative chance of working on a weekend day. */
  readonly weekendRate: number;
  readonly apps: readonly (readonly [AgentService, number])[];
  /** Per app: the workflows this person runs there, with personal weights. */
  readonly workflows: ReadonlyMap<AgentService, readonly (readonly [Workflow, number])[]>;
  readonly phrasing: Phrasing;
  readonly homeChannel: string;
  readonly cloudRegion: string;
  readonly accounts: readonly Account[];
  readonly microservices: readonly Microservice[];
}

const OFFSETS: readonly (readonly [number, number])[] = [
  [-5, 0.3],
  [-8, 0.15],
  [0, 0.15],
  [1, 0.2],
  [5.5, 0.1],
  [8, 0.05],
  [9, 0.05],
];

const PREFIXES = ['', 'hey, ', 'Hi! ', 'quick one: ', 'pls ', 'Can you help: ', 'Hello, ', 'yo '];
const SUFFIXES = ['', ' thanks', ' Thank you!', ' asap', ' ty', ' Thanks in advance.', ' cheers'];

function personalWeights(rng: Rng, workflows: readonly Workflow[]): [Workflow, number][] {
  // A cubed uniform makes a few workflows a person's habits and the rest occasional.
  return workflows.map((w) => [w, w.weight * (0.03 + rng.next() ** 3)]);
}

export function buildUsers(rng: Rng, world: World, workflows: readonly Workflow[]): User[] {
  return world.employees.map((employee) => {
    const apps = DEPARTMENT_APPS[employee.department];
    const perApp = new Map<AgentService, [Workflow, number][]>();
    for (const [service] of apps) {
      perApp.set(
        service,
        personalWeights(
          rng,
          workflows.filter((w) => w.services.includes(service)),
        ),
      );
    }
    const utcOffsetHours = rng.weighted(
      OFFSETS.map(([o]) => o),
      OFFSETS.map(([, w]) => w),
    );
    const dayStartHour = rng.int(7, 10) + rng.pick([0, 0.5]);
    const owned = world.accounts.filter((a) => a.ownerEmail === employee.email);
    const accounts = owned.length > 0 ? owned : rng.sample(world.accounts, rng.int(4, 15));
    const ownChannels = world.channels[employee.department];
    return {
      employee,
      activity: Math.min(25, rng.logNormal(1, 0.9)),
      utcOffsetHours,
      dayStartHour,
      dayEndHour: dayStartHour + rng.int(8, 10),
      weekendRate: rng.chance(0.2) ? rng.float(0.1, 0.4) : 0.03,
      apps,
      workflows: perApp,
      phrasing: {
        prefix: rng.pick(PREFIXES),
        prefixRate: rng.float(0, 0.6),
        suffix: rng.pick(SUFFIXES),
        suffixRate: rng.float(0, 0.5),
        casual: rng.chance(0.3),
      },
      homeChannel: rng.pick(ownChannels),
      cloudRegion: rng.pick(CLOUD_REGIONS),
      accounts,
      microservices: rng.sample(world.services, rng.int(2, 5)),
    };
  });
}

/** The user's wording of a prompt: their usual greeting, sign-off and care with capitals. */
export function phrase(rng: Rng, user: User, prompt: string): string {
  const { phrasing } = user;
  let text = prompt;
  if (phrasing.casual) {
    text = text.charAt(0).toLowerCase() + text.slice(1);
    if (rng.chance(0.6)) text = text.replace(/[.?!]$/, '');
  }
  if (phrasing.prefix !== '' && rng.chance(phrasing.prefixRate)) {
    // "pls pull ...", "hey, can you ...", but "Hi! Can you ...".
    const midSentence = /[a-z,]\s$/.test(phrasing.prefix);
    text = `${phrasing.prefix}${midSentence ? text.charAt(0).toLowerCase() + text.slice(1) : text}`;
  }
  if (phrasing.suffix !== '' && rng.chance(phrasing.suffixRate)) text = `${text}${phrasing.suffix}`;
  return text;
}
