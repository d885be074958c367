import type { LogEntry, Logger } from '@sftpgo/sftpd';
import { RotatingFileStream } from './rotating-file.js';

export interface AppLoggerOptions {
  /** The log file; '' writes to `stderr` instead (`--log-file-path`). */
  readonly filePath: string;
  /** `--log-max-size`: megabytes before rotating; fractions are accepted; 0 = 100. */
  readonly maxSizeMB: number;
  /** `--log-max-backups`: rotated files kept; 0 = all. */
  readonly maxBackups: number;
  /** `--log-max-age`: days rotated files are kept; 0 = no limit. */
  readonly maxAgeDays: number;
  /** `--log-compress`: gzip rotated files. */
  readonly compress: boolean;
  /** `--log-verbose`: keep debug lines. */
  readonly verbose: boolean;
  /** Where the lines go without a file, and where the log file's own problems are told; defaults to `process.stderr`. */
  readonly stderr?: NodeJS.WritableStream;
}

export interface AppLogger {
  readonly logger: Logger;
  /** Writes out every pending line, closes the file and waits for the background compression. */
  close(): Promise<void>;
}

/** The levels of `LogEntry`, most severe first. */
const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;

/** Values JSON has no form for, made readable rather than lost or fatal. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}

/** Whether every value of `line` is one that JSON writes as it is. */
function allPlain(line: Record<string, unknown>): boolean {
  for (const key in line) {
    const value = line[key];
    if (value !== null && typeof value === 'object') return false;
    if (typeof value === 'bigint') return false;
  }
  return true;
}

/** The keys every line starts with, and the two an app line adds after them. */
const LEADING_KEYS = new Set(['level', 'time', 'sender']);
const APP_KEYS = new Set([...LEADING_KEYS, 'connection_id', 'message']);

/**
 * One JSON object: `level`, `time` (ISO 8601 UTC with milliseconds), `sender`,
 * then the entry's other fields in their order. An app line (one with a
 * `message`) has `connection_id` before its message, empty when no
 * connection applies, as the reference writes every app line.
 */
export function formatLine(entry: LogEntry, timeMs: number): string {
  const time = new Date(timeMs).toISOString();
  const line: Record<string, unknown> = { level: entry.level, time, sender: entry.sender };
  const app = entry.message !== undefined;
  if (app) {
    line.connection_id = entry.connection_id ?? '';
    line.message = entry.message;
  }
  const placed = app ? APP_KEYS : LEADING_KEYS;
  for (const key of Object.keys(entry)) {
    if (!placed.has(key)) line[key] = entry[key];
  }
  try {
    // a replacer is called for every value: only lines that may need it pay for it
    return JSON.stringify(line, allPlain(line) ? undefined : replacer);
  } catch (err) {
    return JSON.stringify({
      level: entry.level,
      time,
      sender: entry.sender,
      message: `unserializable log entry: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}

/**
 * The server's logger: JSON lines, as the spec's "Logs" section describes,
 * to a size-rotated file (lumberjack's semantics) or to stderr, each written
 * as it is logged, in order. Throws at once when the log file cannot be
 * opened.
 */
export function createAppLogger(options: AppLoggerOptions): AppLogger {
  const stderr = options.stderr ?? process.stderr;
  let reported = 0;
  const reportProblem = (error: Error) => {
    // Enough to diagnose, without flooding stderr when the disk stays full.
    if (++reported > 100) return;
    stderr.write(
      `${formatLine({ level: 'error', sender: 'logger', message: error.message }, Date.now())}\n`,
    );
  };

  const file =
    options.filePath === ''
      ? undefined
      : new RotatingFileStream(options.filePath, {
          maxSizeMB: options.maxSizeMB,
          maxBackups: options.maxBackups,
          maxAgeDays: options.maxAgeDays,
          compress: options.compress,
          onError: reportProblem,
        });
  file?.on('error', reportProblem);

  const out = file ?? stderr;
  const keptUpTo = LEVELS[options.verbose ? 'debug' : 'info'];

  let closing: Promise<void> | undefined;
  const logger: Logger = {
    log(entry) {
      if (closing || LEVELS[entry.level] > keptUpTo) return;
      out.write(`${formatLine(entry, Date.now())}\n`);
    },
  };

  return {
    logger,
    close() {
      // the file's end waits for every line written before it
      closing ??= file ? file.close() : Promise.resolve();
      return closing;
    },
  };
}

export { type RotatingFileOptions, RotatingFileStream } from './rotating-file.js';
