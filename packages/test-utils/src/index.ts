export { freePort, hasCommand } from './commands.js';
export { duplexPair } from './duplex-pair.js';
export { makeTempDir } from './temp-dir.js';
