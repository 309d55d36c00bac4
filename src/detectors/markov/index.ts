export { MarkovModel, START, END, DEFAULT_MARKOV_OPTIONS, MARKOV_FORMAT } from './markov-model.js';
export type {
  MarkovStep,
  MarkovSequence,
  MarkovOptions,
  MarkovBasis,
  TransitionProbability,
  SerializedMarkovModel,
} from './markov-model.js';
export { createMarkovDetector, MARKOV_DETECTOR_ID, MARKOV_EVIDENCE, formatProbability } from './markov-detector.js';
export type { MarkovDetectorOptions, MarkovState, MarkovEvidence } from './markov-detector.js';
