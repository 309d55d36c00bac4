import type { ToolCallEvent } from '../../normalize/events.js';
import type { SessionView } from '../../session/session-view.js';
import { argumentStrings, argumentValues } from '../argument-values.js';
import { MAX_RESULT_CHARS } from './cluster-detector.js';
import { ENTITY_KINDS, type KnownEntities } from './known-entities.js';

/** A question about the session's call at `index`. */
export type CallTest = (session: SessionView, index: number) => boolean;

/**
 * A notice: a send that carries nothing the agent read, to addresses the deployment knows. Such a
 * message (a status update, a heads-up the agent wrote itself) can leak nothing and reach no stranger,
 * so the learned detectors judge it like a read: it ranks a session but does not make an action's
 * evidence.
 */
export type NoticeTest = CallTest;

/** A long text carries what was read when this many consecutive words of it were in a result. */
const SHARED_RUN_WORDS = 4;
/** Words of a long text compared; a message longer than this is judged by its start. */
const MAX_TEXT_WORDS = 400;
/** Shorter plain values ('yes', a small count) say nothing about where they came from. */
const MIN_VALUE_CHARS = 4;
/** Argument strings compared. */
const MAX_STRINGS = 32;
const WORD = /[\p{L}\p{N}]+(?:[@._%+'-][\p{L}\p{N}]+)*/gu;

/**
 * A send that carries nothing the agent read: not sensitive, and nothing of it beyond what the prompt
 * says appears in an earlier read result (no value, no word with a digit in it, no run of four words).
 */
const carriesNothingRead = judgedOnce(judgeNothingRead);

/**
 * A notice carries nothing read and names only addresses, URLs, IBANs and phone numbers that the
 * training traffic mentioned (or the prompt gave). Anything else (data from a result, a planted
 * recipient or link, words copied from injected content) keeps a send an action.
 */
export function createNoticeTest(knownEntities: KnownEntities): NoticeTest {
  return judgedOnce((session, index, event) => {
    if (!carriesNothingRead(session, index)) return false;
    const prompt = session.prompt.toLowerCase();
    return argumentValues(event.arguments).every(
      (value) => !ENTITY_KINDS.includes(value.kind) || prompt.includes(value.value) || knownEntities.familiarity(value).known,
    );
  });
}

/** What an answer about a call was given for: the calls before it and the prompt can change after. */
interface JudgedFor {
  readonly revision: number;
  readonly prompt: string;
  readonly answer: boolean;
}

/**
 * `judge` answered once per call, for as long as what it depends on holds: the Markov detector asks again
 * about earlier calls, and an answer costs a pass over what was read. It is asked again when the prompt
 * (which can vouch for a value) comes, and when the calls before the call change (a read that arrived
 * late and was inserted before it, the call moved to its conversation's session).
 */
function judgedOnce(judge: (session: SessionView, index: number, event: ToolCallEvent) => boolean): CallTest {
  const answers = new WeakMap<ToolCallEvent, JudgedFor>();
  return (session, index) => {
    const event = session.calls[index]?.event;
    if (event === undefined) return false;
    const known = answers.get(event);
    if (known !== undefined && known.revision === session.revision && known.prompt === session.prompt) return known.answer;
    const answer = judge(session, index, event);
    answers.set(event, { revision: session.revision, prompt: session.prompt, answer });
    return answer;
  };
}

function judgeNothingRead(session: SessionView, index: number, event: ToolCallEvent): boolean {
  const { toolClass, arguments: args } = event;
  if (toolClass.effect !== 'send' || toolClass.sensitive) return false;
  const prompt = session.prompt.toLowerCase();
  const promptWords = ` ${wordsOf(prompt).join(' ')} `;
  const fromPrompt = (words: string) => promptWords.includes(` ${words} `);
  const values = argumentValues(args).flatMap((v) => (v.value.length >= MIN_VALUE_CHARS && !prompt.includes(v.value) ? [v.value] : []));
  // What of the message could have been read: codes (an id, an amount) and runs of words, by first word.
  const codes = new Set<string>();
  const runs = new Set<string>();
  const runStarts = new Set<string>();
  for (const text of argumentStrings(args, MAX_STRINGS)) {
    const words = wordsOf(text).slice(0, MAX_TEXT_WORDS);
    for (const word of words) if (word.length >= MIN_VALUE_CHARS && /\p{N}/u.test(word) && !fromPrompt(word)) codes.add(word);
    for (let i = 0; i + SHARED_RUN_WORDS <= words.length; i++) {
      const run = words.slice(i, i + SHARED_RUN_WORDS).join(' ');
      if (!fromPrompt(run)) {
        runs.add(run);
        runStarts.add(words[i] as string);
      }
    }
  }
  let budget = MAX_RESULT_CHARS;
  for (let i = 0; i < index && budget > 0; i++) {
    const read = session.calls[i]?.event;
    if (read === undefined || read.toolClass.effect !== 'read' || read.result === '') continue;
    const text = read.result.slice(0, budget).toLowerCase();
    budget -= text.length;
    if (values.some((value) => text.includes(value))) return false;
    if (codes.size === 0 && runs.size === 0) continue;
    const words = wordsOf(text);
    for (let w = 0; w < words.length; w++) {
      const word = words[w] as string;
      if (codes.has(word)) return false;
      if (runStarts.has(word) && w + SHARED_RUN_WORDS <= words.length && runs.has(words.slice(w, w + SHARED_RUN_WORDS).join(' '))) return false;
    }
  }
  return true;
}

function wordsOf(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}
