/** Characters kept as they are in a hash field: none of them is a separator of the field names (`|`, `:`, `#`). */
const UNSAFE = /[^A-Za-z0-9._~/-]/g;
const ESCAPE = /%([0-9a-f]{4})/g;

function escapeUnit(unit: string): string {
  return `%${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function unescapeUnit(_match: string, hex: string): string {
  return String.fromCharCode(Number.parseInt(hex, 16));
}

/**
 * A name (model, error type, status) as it appears inside a Redis hash field: ASCII only, so the UTF-8 of the
 * connection can't replace a lone surrogate, and without separators. Each other UTF-16 code unit becomes `%xxxx`
 * (the regular expression has no `u` flag, so it sees code units, never pairs). Cannot throw, unlike
 * `encodeURIComponent`.
 */
export function encodeField(name: string): string {
  return name.replace(UNSAFE, escapeUnit);
}

/** The inverse of {@link encodeField}; anything else is returned with its valid escapes decoded. Cannot throw. */
export function decodeField(field: string): string {
  return field.includes('%') ? field.replace(ESCAPE, unescapeUnit) : field;
}
