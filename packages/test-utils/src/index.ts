export { writeSelfSignedCertificate } from './certificate.js';
export { envWithoutNpmSettings, hasCommand, pnpmCommand } from './commands.js';
export { duplexPair } from './duplex-pair.js';
export { eventually } from './eventually.js';
export {
  type FuzzOutcome,
  FuzzRandom,
  fuzzJson,
  fuzzSettings,
  fuzzString,
  mutateBytes,
  mutateJson,
  runFuzzCases,
} from './fuzz.js';
export { runSftpBatch, runWithInput, sftpOptions } from './openssh.js';
export { freePort } from './ports.js';
export { childPids, descendantPids } from './processes.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { makeTempDir } from './temp-dir.js';
export {
  createTestDatabase,
  type DatabaseServer,
  databaseServerUrl,
  type TestDatabase,
} from './test-database.js';
