// The shared hints (src/suggest.ts), re-exported for this layer's modules.
export { closest, didYouMean, levenshtein } from '../suggest.ts';
