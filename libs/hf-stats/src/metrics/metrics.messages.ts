/** Messages of the metrics exporters. */

/** An option needs an optional peer dependency that is not installed. */
export function missingPeer(option: string, packageName: string, cause: unknown): Error {
  return new Error(
    `nestjs-hf-stats: option "${option}" needs the package "${packageName}", which is not installed. ` +
      `Run \`npm install ${packageName}\`, or turn "${option}" off.`,
    { cause },
  );
}
