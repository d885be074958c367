import type { Socket } from 'node:net';
import {
  type HostConnectionCounter,
  type LogEntry,
  type Logger,
  type LoginDefender,
  type SessionCounter,
  SessionLimitError,
} from '@sftpgo/sftpd';
import type { ObjectStoreEvents } from '@sftpgo/vfs';
import { openServingProvider } from '../data-provider.js';
import type { ObjectStoreKind } from '../metrics.js';
import { createSshService, type SshService } from '../ssh-service.js';
import { uploadJournalOf } from '../upload-recovery.js';
import { userStorages } from '../user-storages.js';
import { answer, IpcRequests } from './ipc-requests.js';
import type {
  Admission,
  MainQuestion,
  Reply,
  Request,
  ToMain,
  ToWorker,
  WorkerQuestion,
  WorkerSetup,
} from './messages.js';

/**
 * An SSH worker process of `sftpgo serve`: serves the connections that the
 * main process hands over, with its own handle on the data provider; its
 * logs, metrics, defender and session counts go to the main process.
 */

function send(message: ToMain, done?: () => void): void {
  if (process.connected) process.send?.(message, undefined, {}, done);
  else done?.();
}

/** Tells the main process of an event or a login: one that cannot cross is logged and dropped. */
function tell(message: ToMain): void {
  try {
    send(message);
  } catch (err) {
    sendLog({
      level: 'error',
      sender: 'sftpd',
      message: `a ${message.type} message not sent to the main process: ${(err as Error).message}`,
    });
  }
}

/**
 * A log line to the main process. A field that cannot cross (a function, an
 * object of a native module) must not take the worker and its connections
 * down: the line goes with its fields as text instead.
 */
function sendLog(entry: LogEntry): void {
  try {
    send({ type: 'log', entry });
  } catch {
    const text = Object.fromEntries(
      Object.entries(entry).map(([key, value]) => [
        key,
        typeof value === 'string' || typeof value === 'number' ? value : String(value),
      ]),
    );
    send({ type: 'log', entry: { ...text, level: entry.level, sender: entry.sender } });
  }
}

const logger: Logger = { log: sendLog };
const questions = new IpcRequests<MainQuestion>((m) => send(m), 10_000);
const bans = new Map<string, number>();
let service: (SshService & { closeProvider(): Promise<void> }) | undefined;

/** The object stores' traffic, counted by the main process's metrics. */
function objectStoreEvents(kind: ObjectStoreKind): ObjectStoreEvents {
  return {
    transfer: (direction, bytes, error) =>
      send({ type: 'objectTransfer', kind, direction, bytes, failed: error !== undefined }),
    request: (request, error) =>
      send({ type: 'objectRequest', kind, request, failed: error !== undefined }),
  };
}

/** max_sessions counted by the main process, across every worker. */
const sessions: SessionCounter = {
  async admit(user) {
    const admission = (await questions.ask({
      what: 'admit',
      username: user.username,
      maxSessions: user.max_sessions,
    })) as Admission;
    if (admission.refused !== undefined) throw new SessionLimitError(admission.refused);
  },
  release: (username) => send({ type: 'release', username }),
};

/** max_per_host_connections counted by the main process, across every worker. */
const hostConnections: HostConnectionCounter = {
  async open(ip) {
    const admission = (await questions.ask({ what: 'openHost', ip })) as Admission;
    return admission.refused;
  },
  close: (ip) => send({ type: 'closeHost', ip }),
};

/** Bans decided by the main process, which scores the failures of every worker. */
const defender: LoginDefender = {
  isBanned: (ip) => (bans.get(ip) ?? 0) > Date.now(),
  recordFailure(ip) {
    send({ type: 'loginFailure', ip });
    return false;
  },
};

async function setUp(setup: WorkerSetup): Promise<void> {
  const { config, configDir } = setup;
  // what ps and top show, beside the main process's `sftpgo serve ...`
  process.title = `sftpgo serve: SSH worker ${setup.index}`;
  process.umask(Number.parseInt(config.sftpd.umask, 8));
  for (const [ip, until] of setup.bans) bans.set(ip, until);
  const { secrets, store } = await openServingProvider(config, configDir, logger);
  const openStorage = userStorages({
    secrets,
    uploadMemoryBytes: setup.uploadMemoryBytes,
    events: { s3: objectStoreEvents('s3'), gcs: objectStoreEvents('gcs') },
  });
  // noted under this worker's pid: the main process finishes them if it dies
  const uploadJournal = uploadJournalOf(config, configDir);
  const built = createSshService({
    config,
    logger,
    hostKeys: setup.hostKeys.map((k) => Buffer.from(k)),
    loginBanner: setup.loginBanner,
    provider: store.provider,
    openStorage,
    metrics: {
      onEvent: (event) => tell({ type: 'event', event }),
      onLogin: (event) => tell({ type: 'login', event }),
    },
    ...(config.sftpd.defender.enabled ? { defender } : {}),
    ...(uploadJournal ? { uploadJournal } : {}),
    sessions,
    // asked only when there is a limit: a question per connection costs a round trip
    ...(config.sftpd.max_per_host_connections > 0 ? { hostConnections } : {}),
  });
  service = { ...built, closeProvider: () => store.provider.close() };
}

function ask(request: Request<WorkerQuestion>): void {
  void answer(
    request,
    (body) => {
      if (!service) return body.what === 'list' ? [] : false;
      return body.what === 'list'
        ? service.sftp.listConnections()
        : service.sftp.closeConnection(body.connectionId);
    },
    (reply: Reply) => send(reply),
  );
}

async function stop(graceMs: number): Promise<void> {
  if (service) {
    await service.sftp.close({ graceMs });
    await service.actions.idle();
    await service.closeProvider();
  }
  send({ type: 'stopped' }, () => process.exit(0));
}

function serveConnection(socket: Socket | undefined): void {
  if (!socket) return;
  socket.once('close', () => send({ type: 'gone' }));
  if (service) service.sftp.handleConnection(socket);
  else socket.destroy();
}

process.on('message', (message: ToWorker, handle: unknown) => {
  switch (message.type) {
    case 'setup':
      setUp(message.setup).then(
        () => send({ type: 'ready' }),
        (err: unknown) =>
          send({ type: 'failed', message: (err as Error).message }, () => process.exit(1)),
      );
      break;
    case 'connection':
      serveConnection(handle as Socket | undefined);
      break;
    case 'ban':
      bans.set(message.ip, message.until);
      for (const [ip, until] of bans) if (until <= Date.now()) bans.delete(ip);
      break;
    case 'request':
      ask(message);
      break;
    case 'reply':
      questions.settle(message);
      break;
    case 'stop':
      void stop(message.graceMs);
      break;
  }
});

// The main process decides when workers stop: a signal sent to the whole
// process group (Ctrl+C, a service manager) reaches it too, and it stops them.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
// Without the main process nothing is logged, counted or bounded: stop at once.
process.on('disconnect', () => {
  questions.abandon('the main process is gone');
  process.exit(1);
});
