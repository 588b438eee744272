// The shared hints (src/suggest.ts), re-exported for this layer's modules.
export { didYouMean } from '../../suggest.ts';
