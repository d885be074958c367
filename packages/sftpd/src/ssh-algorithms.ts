import type { Algorithms } from 'ssh2';
import { ssh2 } from './ssh2.js';

/** Algorithms offered, in preference order; empty or absent lists keep ssh2's defaults. */
export interface SshAlgorithms {
  readonly kex?: readonly string[];
  readonly cipher?: readonly string[];
  readonly mac?: readonly string[];
}

/** Which setting names each kind of algorithm, for errors. */
const ALGORITHM_SETTINGS = { kex: 'kex_algorithms', cipher: 'ciphers', mac: 'macs' } as const;

/** ssh2's algorithm settings from ours; an unknown name is an error naming its setting. */
export function algorithmsConfig(algorithms: SshAlgorithms = {}): Algorithms {
  const config: Algorithms = {};
  for (const kind of ['kex', 'cipher', 'mac'] as const) {
    const names = algorithms[kind] ?? [];
    if (names.length === 0) continue;
    const key = kind === 'mac' ? 'hmac' : kind;
    try {
      new ssh2.Server({ hostKeys: [], algorithms: { [key]: [...names] } });
    } catch (err) {
      const message = (err as Error).message;
      if (/Unsupported algorithm/.test(message)) {
        throw new Error(`${ALGORITHM_SETTINGS[kind]}: ${message.toLowerCase()}`, { cause: err });
      }
    }
    config[key] = [...names] as never;
  }
  return config;
}
