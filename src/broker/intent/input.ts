// The request text must be a non-empty string of at most MAX_INTENT_LENGTH UTF-16 code units,
// both as given and after canonicalization (NFKC can expand some characters); anything else is
// the caller's error (NAU_REQUEST_INVALID, 400) before any matching runs.
import { requestInvalid } from './errors.ts';
import { MAX_INTENT_LENGTH } from './limits.ts';
import { canonicalText } from './text.ts';

/** The canonical text of a valid request. */
export function canonicalRequest(text: unknown): string {
  if (typeof text !== 'string') {
    const kind = text === null ? 'null' : Array.isArray(text) ? 'a list' : typeof text;
    throw requestInvalid(`intent must be a string, got ${kind}`, 'intent');
  }
  if (text.trim() === '') throw requestInvalid('intent is empty', 'intent');
  if (text.length > MAX_INTENT_LENGTH) {
    throw requestInvalid(
      `intent is ${text.length} characters long; at most ${MAX_INTENT_LENGTH} are accepted (send a structured query for large filter lists)`,
      'intent',
    );
  }
  const canonical = canonicalText(text);
  if (canonical.length > MAX_INTENT_LENGTH) {
    throw requestInvalid(
      `intent expands to ${canonical.length} characters after Unicode normalization (NFKC); at most ${MAX_INTENT_LENGTH} are accepted`,
      'intent',
    );
  }
  if (canonical.trim() === '') throw requestInvalid('intent contains no visible text', 'intent');
  return canonical;
}
