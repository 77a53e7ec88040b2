/** Sizes of the lines handed to the file, in order, so that completed bytes can be counted as lines. */
export class PendingLineSizes {
  private sizes: number[] = [];
  private head = 0;
  private carry = 0;

  get count(): number {
    return this.sizes.length - this.head;
  }

  push(bytes: number): void {
    this.sizes.push(bytes);
  }

  complete(bytes: number): void {
    this.carry += bytes;
    while (this.head < this.sizes.length && this.carry >= this.sizes[this.head]) {
      this.carry -= this.sizes[this.head];
      this.head += 1;
    }
    if (this.head === this.sizes.length) {
      this.clear();
    } else if (this.head >= 1024) {
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.sizes = [];
    this.head = 0;
    this.carry = 0;
  }
}

/** A promise that resolves after `ms`, on a timer that does not keep the process alive. */
export function startDeadline(ms: number): { reached: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return { reached, cancel: () => clearTimeout(timer) };
}
