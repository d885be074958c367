/** One structured log entry; `sender` names the log category, as in the spec's logs. */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly sender: string;
  readonly message?: string;
  readonly [field: string]: unknown;
}

/** Where the service writes its logs; the app decides the format and the destination. */
export interface Logger {
  log(entry: LogEntry): void;
}

export const silentLogger: Logger = { log() {} };
