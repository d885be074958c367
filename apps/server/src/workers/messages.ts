import type { Config } from '@sftpgo/config';
import type { LogEntry, LoginEvent, SessionEvent } from '@sftpgo/sftpd';
import type { ObjectRequest } from '@sftpgo/vfs';
import type { ObjectStoreKind } from '../metrics.js';

/**
 * The messages between the main process and its SSH worker processes, over
 * the IPC channel of `child_process.fork` (advanced serialization: buffers
 * and errors cross as they are).
 */

/** What a worker needs to serve, read once by the main process. */
export interface WorkerSetup {
  /** The worker's number, from 0: in its process title and the main process's log lines. */
  readonly index: number;
  readonly config: Config;
  readonly configDir: string;
  readonly hostKeys: readonly Uint8Array[];
  readonly loginBanner: string | undefined;
  /** Addresses banned now, and until when (ms since the epoch). */
  readonly bans: readonly (readonly [ip: string, until: number])[];
  /** The memory that uploads to object stores may buffer in this worker. */
  readonly uploadMemoryBytes: number;
}

/** A question and its answer, matched by `id`. */
export interface Request<Body> {
  readonly type: 'request';
  readonly id: number;
  readonly body: Body;
}
export interface Reply {
  readonly type: 'reply';
  readonly id: number;
  readonly value?: unknown;
  /** Why the question could not be answered. */
  readonly error?: string;
}

/** What the main process asks a worker. */
export type WorkerQuestion =
  | { readonly what: 'list' }
  | { readonly what: 'close'; readonly connectionId: string };

/**
 * What a worker asks the main process, answered by an {@link Admission}: to
 * count a login against the user's `max_sessions`, or a connection of a
 * client address against `max_per_host_connections`.
 */
export type MainQuestion =
  | {
      readonly what: 'admit';
      readonly username: string;
      readonly maxSessions: number;
    }
  | { readonly what: 'openHost'; readonly ip: string };

/** A login or connection counted, or refused with the reason. */
export interface Admission {
  readonly refused?: string;
}

/** Told by the main process to a worker. */
export type ToWorker =
  | { readonly type: 'setup'; readonly setup: WorkerSetup }
  /** Comes with the socket of a new connection. */
  | { readonly type: 'connection' }
  | { readonly type: 'ban'; readonly ip: string; readonly until: number }
  | { readonly type: 'stop'; readonly graceMs: number }
  | Request<WorkerQuestion>
  | Reply;

/** Told by a worker to the main process. */
export type ToMain =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'stopped' }
  /** A connection handed over has closed. */
  | { readonly type: 'gone' }
  | { readonly type: 'log'; readonly entry: LogEntry }
  | { readonly type: 'event'; readonly event: SessionEvent }
  | { readonly type: 'login'; readonly event: LoginEvent }
  | {
      readonly type: 'objectTransfer';
      readonly kind: ObjectStoreKind;
      readonly direction: 'upload' | 'download';
      readonly bytes: number;
      readonly failed: boolean;
    }
  | {
      readonly type: 'objectRequest';
      readonly kind: ObjectStoreKind;
      readonly request: ObjectRequest;
      readonly failed: boolean;
    }
  | { readonly type: 'loginFailure'; readonly ip: string }
  | { readonly type: 'release'; readonly username: string }
  /** A connection that an `openHost` question counted has closed. */
  | { readonly type: 'closeHost'; readonly ip: string }
  | Request<MainQuestion>
  | Reply;
