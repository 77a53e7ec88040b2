/** Whether a session id may be used: a string within the length bound, every character allowed. */
export function isValidSessionId(value: unknown, maxLength: number, pattern: RegExp): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength && pattern.test(value);
}
