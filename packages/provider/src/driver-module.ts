import { ProviderError } from './errors.js';

/**
 * The module of a database driver, imported when the driver is chosen: the
 * drivers are optional peer dependencies, and an application installs the
 * ones it uses. A module that is not installed is an error saying what to
 * install; one that is there but cannot load (a native build for another
 * Node.js) says why.
 * @throws {ProviderError} with code `unavailable`
 */
export async function loadDriverModule<T>(
  driver: string,
  packageName: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const missing =
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
      (err as Error).message.includes(packageName);
    throw new ProviderError(
      'unavailable',
      missing
        ? `the ${driver} driver needs the npm package ${packageName}, which is not installed: run npm install ${packageName}`
        : `the ${driver} driver needs the npm package ${packageName}, which could not be loaded: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
