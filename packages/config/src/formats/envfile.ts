import { parseEnv } from 'node:util';
import { setNested } from '../objects.js';

const KEY = /^[A-Za-z0-9_.]+$/;

/**
 * An .env file of `sftpd.bind_port=2022` or `SFTPD__BIND_PORT=2022` lines:
 * `.` or `__` separates the keys, in any case. Values stay strings.
 */
export function parseEnvFile(text: string): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parseEnv(text))) {
    // parseEnv skips nothing: a line without "=" becomes part of the next key.
    if (!KEY.test(key)) throw new Error(`malformed line: ${JSON.stringify(key)}`);
    const path = key.toLowerCase().split(/\.|__/);
    if (path.includes('')) throw new Error(`malformed key ${JSON.stringify(key)}`);
    setNested(data, path, value ?? '');
  }
  return data;
}
