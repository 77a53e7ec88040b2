/**
 * The names of a call that a call site or a request can set (model, operation, error type): bounded
 * once, where the call record is made, so that every reader (figures, log, metrics, Redis, the
 * dashboard) shows the same value and none of them can grow or throw on it.
 */

/** Longest name a call record holds, hash suffix included. */
export const MAX_NAME_LENGTH = 200;

/** `~` and 8 hex digits of a hash of the name as sent. */
const SUFFIX_LENGTH = 9;

/** What makes a name need more than a look: C0 controls, DEL, C1 controls, and any surrogate (paired or not). */
// oxlint-disable-next-line no-control-regex
const NEEDS_CLEANING = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/;
// oxlint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Names found clean lately: most calls repeat a few names, and a set lookup is cheaper than the scan. */
const clean = new Set<string>();
const MAX_REMEMBERED = 256;

/** ES2024, in every Node.js this package supports (>= 20). */
interface WellFormed {
  toWellFormed(): string;
}

/**
 * A name as a call record holds it. A name of at most {@link MAX_NAME_LENGTH} characters without
 * control characters or lone surrogates is kept as it is. Any other is cleaned (lone surrogates and
 * control characters become U+FFFD, the text is cut) and followed by `~` and 8 hex digits of a hash
 * of the name as sent, so that distinct names stay distinct. The result is clean: applied again,
 * it returns the same string.
 */
export function boundedName(name: string): string {
  if (name.length <= MAX_NAME_LENGTH) {
    if (clean.has(name)) {
      return name;
    }
    if (!NEEDS_CLEANING.test(name)) {
      remember(name);
      return name;
    }
  }
  const cleaned = (name as unknown as WellFormed).toWellFormed().replace(CONTROLS, '\ufffd');
  if (cleaned === name && name.length <= MAX_NAME_LENGTH) {
    // Only well-formed pairs (emoji, say): nothing to change.
    remember(name);
    return name;
  }
  let end = Math.min(cleaned.length, MAX_NAME_LENGTH - SUFFIX_LENGTH);
  if (end < cleaned.length && isHighSurrogate(cleaned.charCodeAt(end - 1))) {
    // Never cut a pair in two: that would make a lone surrogate again.
    end -= 1;
  }
  return `${cleaned.slice(0, end)}~${fnv1a(name)}`;
}

/** {@link boundedName}, passing undefined through. */
export function boundedNameOf(name: string | undefined): string | undefined {
  return name === undefined ? undefined : boundedName(name);
}

function remember(name: string): void {
  if (clean.size >= MAX_REMEMBERED) {
    clean.clear();
  }
  clean.add(name);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** 32-bit FNV-1a over the UTF-16 code units: cheap, the same on every replica, and defined for lone surrogates. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
