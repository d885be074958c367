export { parseScpCommand, type ScpOptions, ScpUsageError } from './command.js';
export { runScp, type ScpResult, type ScpStreams } from './run.js';
