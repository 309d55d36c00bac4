import type { Severity } from '../finding.js';
import type { SourceLoc } from './diagnostics.js';
import type { FieldRef } from './fields.js';
import type { PiiKind, SecretKind } from './content-checks.js';

/** What the validate stage produces: typed rule elements that still carry their source locations. */

export type Scalar = string | number | boolean;

export interface ListRef {
  readonly name: string;
  readonly loc: SourceLoc;
}

/** Literal values plus references (`$name`) to `list` elements, which the resolve stage inlines. */
export interface ValueSet {
  readonly values: readonly Scalar[];
  readonly lists: readonly ListRef[];
}

export type StringSetOp = 'in' | 'glob' | 'contains' | 'starts_with' | 'ends_with' | 'url_outside' | 'email_domain_outside';
export type NumericOp = 'gt' | 'gte' | 'lt' | 'lte';

export type PredicateAst =
  | { readonly op: 'equals'; readonly value: Scalar; readonly loc: SourceLoc }
  | { readonly op: StringSetOp; readonly set: ValueSet; readonly loc: SourceLoc }
  | { readonly op: 'matches'; readonly pattern: string; readonly flags: string; readonly loc: SourceLoc }
  | { readonly op: NumericOp; readonly value: number; readonly loc: SourceLoc }
  | { readonly op: 'exists'; readonly value: boolean; readonly loc: SourceLoc }
  | { readonly op: 'contains_pii'; readonly kinds: readonly PiiKind[]; readonly loc: SourceLoc }
  | { readonly op: 'contains_secret'; readonly kinds: readonly SecretKind[]; readonly loc: SourceLoc }
  | {
      readonly op: 'from_tool_output';
      /** Which earlier calls' results count; null for any earlier call. */
      readonly source: MatcherAst | null;
      readonly minLength: number;
      readonly loc: SourceLoc;
    };

export type MatcherAst =
  | { readonly kind: 'all'; readonly items: readonly MatcherAst[]; readonly loc: SourceLoc }
  | { readonly kind: 'any'; readonly items: readonly MatcherAst[]; readonly loc: SourceLoc }
  | { readonly kind: 'not'; readonly item: MatcherAst; readonly loc: SourceLoc }
  | { readonly kind: 'macro'; readonly name: string; readonly loc: SourceLoc }
  | {
      readonly kind: 'field';
      readonly field: FieldRef;
      readonly predicates: readonly PredicateAst[];
      readonly ignoreCase: boolean;
      readonly loc: SourceLoc;
    };

export interface ExceptionAst {
  readonly name: string;
  readonly match: MatcherAst;
  /** Limit the exception to one named step of a sequence; '' for every step. */
  readonly step: string;
  readonly loc: SourceLoc;
}

export type FlowOp = 'equals' | 'contains' | 'in';

export interface FlowAst {
  /** Field of this step's call. */
  readonly field: FieldRef;
  readonly op: FlowOp;
  readonly fromStep: string;
  readonly fromField: FieldRef;
  readonly minLength: number;
  readonly loc: SourceLoc;
}

export type StepAst =
  | {
      readonly kind: 'step';
      readonly name: string;
      readonly match: MatcherAst;
      readonly runs: number;
      readonly immediate: boolean;
      readonly flow: readonly FlowAst[];
      readonly loc: SourceLoc;
    }
  | { readonly kind: 'missing'; readonly match: MatcherAst; readonly loc: SourceLoc };

export interface SequenceAst {
  readonly kind: 'sequence';
  readonly by: readonly FieldRef[];
  readonly maxspanMs: number | null;
  readonly steps: readonly StepAst[];
  readonly until: MatcherAst | null;
  readonly maxPending: number | null;
  readonly loc: SourceLoc;
}

export type Aggregate = 'count' | 'distinct' | 'sum' | 'rate';

export interface ThresholdAst {
  readonly kind: 'threshold';
  readonly match: MatcherAst | null;
  readonly by: readonly FieldRef[];
  readonly windowMs: number;
  readonly aggregate: Aggregate;
  readonly field: FieldRef | null;
  readonly condition: { readonly op: 'gt' | 'gte'; readonly value: number; readonly loc: SourceLoc };
  /** Rate only: fire when the window's rate is `factor` times the key's rate before the window. */
  readonly baseline: { readonly factor: number; readonly minHistoryMs: number } | null;
  readonly maxEvents: number | null;
  readonly loc: SourceLoc;
}

export interface EventAst {
  readonly kind: 'match';
  readonly match: MatcherAst;
  readonly loc: SourceLoc;
}

export type RuleBody = EventAst | SequenceAst | ThresholdAst;

export type OverrideMode = 'append' | 'replace';

/** Rule fields an override may name. */
export const RULE_OVERRIDABLE = [
  'description',
  'severity',
  'score',
  'tags',
  'enabled',
  'message',
  'exceptions',
  'match',
  'sequence',
  'threshold',
] as const;
export type RuleOverridable = (typeof RULE_OVERRIDABLE)[number];
export const RULE_APPENDABLE: readonly RuleOverridable[] = ['tags', 'exceptions'];

export interface RuleAst {
  readonly id: string;
  readonly loc: SourceLoc;
  readonly description?: string;
  readonly severity?: Severity;
  readonly score?: number;
  readonly tags?: readonly string[];
  readonly enabled?: boolean;
  readonly message?: string;
  readonly exceptions?: readonly ExceptionAst[];
  readonly body?: RuleBody;
  /** Present on an element that tunes an earlier rule instead of defining one. */
  readonly override?: ReadonlyMap<RuleOverridable, OverrideMode>;
}

export interface ListAst {
  readonly id: string;
  readonly loc: SourceLoc;
  readonly items: readonly Scalar[];
  readonly override?: OverrideMode;
}

export interface MacroAst {
  readonly id: string;
  readonly loc: SourceLoc;
  readonly condition: MatcherAst;
  readonly override?: OverrideMode;
}

export type ElementAst =
  | { readonly kind: 'rule'; readonly rule: RuleAst }
  | { readonly kind: 'list'; readonly list: ListAst }
  | { readonly kind: 'macro'; readonly macro: MacroAst };

export interface RuleFileAst {
  readonly file: string;
  readonly version: number;
  readonly elements: readonly ElementAst[];
}
