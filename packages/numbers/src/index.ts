// Judging raw numbers off the main thread: the pool of worker threads that the
// workers (batch expansion) and the API (simulations) both use.
export { createNumberNormalizer, NormalizerUnavailableError, type NumberNormalizer } from "./normalizer";
