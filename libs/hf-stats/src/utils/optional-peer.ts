import { missingPeer } from '../hf-stats.messages.js';

/**
 * Imports an optional peer dependency at startup, only when an option asks for it. A missing
 * package fails startup with an error that names the option and the package to install; `instead`
 * is the other way out (by default: turn the option off).
 */
export async function importOptionalPeer<T>(packageName: string, option: string, instead?: string): Promise<T> {
  try {
    return (await import(packageName)) as T;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw missingPeer(option, packageName, error, instead);
    }
    throw error;
  }
}
