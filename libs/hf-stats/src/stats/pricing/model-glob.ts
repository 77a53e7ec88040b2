/**
 * A matcher of model names for a price rule's `model`: an exact name, or a glob where `*` matches any run of
 * characters (`/` included) and `?` exactly one; every other character matches itself.
 */
export function compileModelGlob(glob: string): (model: string) => boolean {
  if (!glob.includes('*') && !glob.includes('?')) {
    return (model) => model === glob;
  }
  let source = '';
  for (const character of glob) {
    if (character === '*') {
      source += '.*';
    } else if (character === '?') {
      source += '.';
    } else {
      source += character.replace(/[\\^$.*+?()[\]{}|/]/, '\\$&');
    }
  }
  // `s` lets `*` and `?` match any character; `u` makes `?` one code point, not one UTF-16 unit.
  const pattern = new RegExp(`^${source}$`, 'su');
  return (model) => pattern.test(model);
}
