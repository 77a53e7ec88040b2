/**
 * Copies every reflect-metadata key of `from` onto `to`, so that decorators applied before ours
 * (`@Get`, `@Interval`, ...) still find their metadata on the wrapper.
 */
export function copyMethodMetadata(from: object, to: object): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
}
