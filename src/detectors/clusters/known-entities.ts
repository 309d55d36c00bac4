import { createHash } from 'node:crypto';
import { argumentValues, entities, type ArgumentValue, type ValueKind } from '../argument-values.js';
import type { TrainingSession } from './cluster-baselines.js';

/** Kinds of value that name someone or somewhere outside: where an injected recipient or link would go. */
export const ENTITY_KINDS: readonly ValueKind[] = ['email', 'url', 'iban', 'phone'];

/** Distinct entities kept per kind; beyond it new ones are counted but not remembered. */
export const MAX_KNOWN_ENTITIES = 200_000;

interface KindStats {
  /** Session-level mentions: each session counts each distinct entity once. */
  mentions: number;
  /** Hashes of the entities seen. */
  readonly values: Set<string>;
  /** Hash of the shape (e-mail domain, URL host, IBAN country) -> sessions mentioning it. */
  readonly shapes: Map<string, number>;
  dropped: number;
}

export interface EntityFamiliarity {
  /** The entity was mentioned somewhere in training traffic. */
  readonly known: boolean;
  /** -log2 P(an entity of this kind not seen in training) (Witten-Bell); 0 when known. */
  readonly valueBits: number;
  /** -log2 P(a shape of this kind not seen in training); 0 when the shape is known or there is none. */
  readonly shapeBits: number;
  /** Sessions and distinct entities of this kind the estimate rests on. */
  readonly mentions: number;
  readonly distinct: number;
}

export const KNOWN_ENTITIES_FORMAT = 'chainwatch.known-entities/1';

/**
 * The addresses, URLs, IBANs and phone numbers that normal traffic mentions anywhere (prompts, call
 * arguments, tool results): the deployment's known world. A side-effecting call or fetch that names an
 * entity outside it sends to, pays, links or visits someone normal traffic never dealt with. Entities
 * are kept as truncated SHA-256 hashes, so the model file holds no addresses.
 */
export class KnownEntities {
  private readonly kinds: Map<ValueKind, KindStats>;

  private constructor(kinds: Map<ValueKind, KindStats>) {
    this.kinds = kinds;
  }

  static build(sessions: Iterable<TrainingSession>): KnownEntities {
    const known = new KnownEntities(new Map());
    for (const session of sessions) known.add(session);
    return known;
  }

  private add(session: TrainingSession): void {
    const mentioned = new Map<string, { kind: ValueKind; shape: string }>();
    const note = (value: { value: string; kind: ValueKind; shape: string }) => {
      if (ENTITY_KINDS.includes(value.kind)) mentioned.set(`${value.kind}\u0001${value.value}`, value);
    };
    for (const entity of entities(session.prompt.toLowerCase())) note(entity);
    for (const call of session.calls) {
      for (const value of argumentValues(call.arguments)) note(value);
      if (call.result !== '') for (const entity of entities(call.result.toLowerCase())) note(entity);
    }
    const shapesSeen = new Set<string>();
    for (const [key, { kind, shape }] of mentioned) {
      const stats = this.statsFor(kind);
      stats.mentions++;
      if (stats.values.size < MAX_KNOWN_ENTITIES) stats.values.add(entityHash(key));
      else stats.dropped++;
      const shapeKey = `${kind}\u0001${shape}`;
      if (shape !== '' && !shapesSeen.has(shapeKey)) {
        shapesSeen.add(shapeKey);
        const hash = entityHash(shapeKey);
        stats.shapes.set(hash, (stats.shapes.get(hash) ?? 0) + 1);
      }
    }
  }

  private statsFor(kind: ValueKind): KindStats {
    let stats = this.kinds.get(kind);
    if (stats === undefined) {
      stats = { mentions: 0, values: new Set(), shapes: new Map(), dropped: 0 };
      this.kinds.set(kind, stats);
    }
    return stats;
  }

  /** Whether training traffic mentioned this entity, and how surprising a new one (and a new shape) is. */
  familiarity(value: ArgumentValue): EntityFamiliarity {
    const stats = this.kinds.get(value.kind) ?? { mentions: 0, values: new Set<string>(), shapes: new Map<string, number>(), dropped: 0 };
    const distinct = stats.values.size;
    const known = stats.values.has(entityHash(`${value.kind}\u0001${value.value}`));
    if (known) return { known, valueBits: 0, shapeBits: 0, mentions: stats.mentions, distinct };
    const valueBits = surprise((distinct + 1) / (stats.mentions + distinct + 1));
    let shapeBits = 0;
    if (value.shape !== '' && !stats.shapes.has(entityHash(`${value.kind}\u0001${value.shape}`))) {
      let total = 0;
      for (const n of stats.shapes.values()) total += n;
      shapeBits = surprise((stats.shapes.size + 1) / (total + stats.shapes.size + 1));
    }
    return { known, valueBits, shapeBits, mentions: stats.mentions, distinct };
  }

  toJSON(): SerializedKnownEntities {
    return {
      format: KNOWN_ENTITIES_FORMAT,
      kinds: [...this.kinds].map(([kind, s]) => ({
        kind,
        mentions: s.mentions,
        dropped: s.dropped,
        values: [...s.values].sort(),
        shapes: Object.fromEntries([...s.shapes].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
      })),
    };
  }

  static fromJSON(value: unknown, where = 'known entities'): KnownEntities {
    const data = value as Partial<SerializedKnownEntities> | null;
    if (data === null || typeof data !== 'object' || data.format !== KNOWN_ENTITIES_FORMAT || !Array.isArray(data.kinds)) {
      throw new Error(`${where}: expected format ${KNOWN_ENTITIES_FORMAT} with kinds`);
    }
    const kinds = new Map<ValueKind, KindStats>();
    for (const entry of data.kinds) {
      if (!ENTITY_KINDS.includes(entry?.kind) || typeof entry.mentions !== 'number' || !Array.isArray(entry.values)) {
        throw new Error(`${where}: malformed entry for kind ${String(entry?.kind)}`);
      }
      kinds.set(entry.kind, {
        mentions: entry.mentions,
        dropped: entry.dropped ?? 0,
        values: new Set(entry.values),
        shapes: new Map(Object.entries(entry.shapes ?? {})),
      });
    }
    return new KnownEntities(kinds);
  }
}

export interface SerializedKnownEntities {
  readonly format: typeof KNOWN_ENTITIES_FORMAT;
  readonly kinds: Array<{ kind: ValueKind; mentions: number; dropped: number; values: string[]; shapes: Record<string, number> }>;
}

/** -log2 p, and 0 (not -0) for a certain event. */
function surprise(p: number): number {
  return p >= 1 ? 0 : -Math.log2(p);
}

function entityHash(key: string): string {
  return createHash('sha256').update(key).digest('base64').slice(0, 12);
}
