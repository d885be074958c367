import { type ChildProcess, fork } from 'node:child_process';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  type ConnectionStatus,
  Defender,
  type DefenderOptions,
  HostConnections,
  KeyCounts,
  type Logger,
  type LoginEvent,
  type SessionEvent,
  SessionLimitError,
  UserSessions,
} from '@sftpgo/sftpd';
import type { ObjectStoreEvents } from '@sftpgo/vfs';
import type { ObjectStoreKind } from '../metrics.js';
import { answer, IpcRequests } from './ipc-requests.js';
import type {
  Admission,
  MainQuestion,
  Request,
  ToMain,
  WorkerQuestion,
  WorkerSetup,
} from './messages.js';

const WORKER_MODULE = fileURLToPath(new URL('./worker-main.js', import.meta.url));

/** How long a worker has to answer a question of the REST API before it is left out. */
const ANSWER_MS = 5_000;
/** How long a worker has to start (open the provider) before the server gives up. */
const START_MS = 60_000;
/** A worker that dies is replaced after this pause, so that a crash at start does not spin. */
const RESTART_DELAY_MS = 1_000;
/** The longest pause between attempts to start a worker that keeps failing. */
const MAX_RESTART_DELAY_MS = 60_000;
/** What stopping waits for beyond the transfers' grace time before killing a worker. */
const STOP_MARGIN_MS = 15_000;

export interface WorkerPoolOptions {
  /** Worker processes, at least 2. */
  readonly size: number;
  readonly setup: Omit<WorkerSetup, 'bans' | 'index'>;
  /** Where the workers' log lines are written. */
  readonly logger: Logger;
  readonly metrics: {
    onEvent(event: SessionEvent): void;
    onLogin(event: LoginEvent): void;
    readonly objectStores: Readonly<Record<ObjectStoreKind, ObjectStoreEvents>>;
  };
  /** The defender that scores the failures of every worker; none when absent. */
  readonly defender?: DefenderOptions;
  /** Finishes what a worker that died left under way (its atomic uploads). */
  readonly onWorkerDied?: (pid: number) => Promise<void>;
}

/** One worker process, and what the main process counts for it. */
interface Worker {
  readonly index: number;
  readonly child: ChildProcess;
  readonly questions: IpcRequests<WorkerQuestion>;
  /** Connections handed over and not yet closed. */
  handed: number;
  /** Logins counted against max_sessions, by user: released if the worker dies. */
  readonly sessions: KeyCounts;
  /** Connections counted against max_per_host_connections, by address: closed if the worker dies. */
  readonly hosts: KeyCounts;
  ready: boolean;
  readonly exited: Promise<void>;
}

/**
 * The SSH service spread over worker processes (`sftpd.workers`): the main
 * process accepts each connection and hands its socket to the worker with
 * the fewest, and keeps what must be one across them (the defender's
 * scores, each user's session count, the logs and metrics); the REST API
 * asks every worker for its connections. A worker that dies is replaced.
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #workers: (Worker | undefined)[];
  readonly #tcp = createServer({ pauseOnConnect: true }, (socket) => this.#dispatch(socket));
  readonly #sessions = new UserSessions();
  readonly #hosts: HostConnections;
  readonly #defender: Defender | undefined;
  /** Bans in force, told to each worker as it starts. */
  readonly #bans = new Map<string, number>();
  #stopping = false;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#workers = new Array(options.size).fill(undefined);
    this.#defender = options.defender && new Defender(options.defender);
    this.#hosts = new HostConnections(options.setup.config.sftpd.max_per_host_connections);
  }

  /** Starts every worker; rejects, with every worker stopped, if one cannot start. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.#workers.map((_, index) => this.#spawn(index)));
    } catch (err) {
      await this.close({ graceMs: 0 });
      throw err;
    }
  }

  /** Starts accepting connections; resolves with the bound address. */
  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#tcp.once('error', reject);
      this.#tcp.listen(port, host || undefined, () => {
        this.#tcp.off('error', reject);
        resolve(this.#tcp.address() as AddressInfo);
      });
    });
  }

  /** The process ids of the live workers. */
  get pids(): number[] {
    return this.#live().flatMap((w) => (w.child.pid ? [w.child.pid] : []));
  }

  /** The logged-in connections of every worker; a worker that does not answer is left out. */
  async listConnections(): Promise<ConnectionStatus[]> {
    const lists = await Promise.all(
      this.#live().map((w) =>
        w.questions.ask({ what: 'list' }).then(
          (list) => list as ConnectionStatus[],
          () => [],
        ),
      ),
    );
    return lists.flat();
  }

  /** Ends a connection, whichever worker serves it; false when none has that id. */
  async closeConnection(id: string): Promise<boolean> {
    const closed = await Promise.all(
      this.#live().map((w) =>
        w.questions.ask({ what: 'close', connectionId: id }).then(
          (done) => done === true,
          () => false,
        ),
      ),
    );
    return closed.includes(true);
  }

  /**
   * Stops accepting, then stops every worker: each closes its connections
   * as `SftpServer.close` does, within `graceMs`; a worker still running a
   * while after that is killed.
   */
  async close(options: { readonly graceMs: number }): Promise<void> {
    this.#stopping = true;
    const stopped = new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
    const live = this.#workers.filter((w): w is Worker => w !== undefined);
    for (const w of live) {
      if (w.child.connected) w.child.send({ type: 'stop', graceMs: options.graceMs });
      else w.child.kill('SIGKILL');
    }
    const exited = Promise.all(live.map((w) => w.exited));
    const timer = setTimeout(() => {
      for (const w of live) w.child.kill('SIGKILL');
    }, options.graceMs + STOP_MARGIN_MS);
    await exited;
    clearTimeout(timer);
    await stopped;
  }

  #live(): Worker[] {
    return this.#workers.filter((w): w is Worker => w?.ready === true);
  }

  #dispatch(socket: Socket): void {
    const live = this.#live();
    if (this.#stopping || live.length === 0) {
      socket.destroy();
      return;
    }
    // SSH connections last: the worker with the fewest gets the next one
    const worker = live.reduce((a, b) => (b.handed < a.handed ? b : a));
    worker.handed++;
    worker.child.send({ type: 'connection' }, socket, (err) => {
      if (!err) return;
      worker.handed--;
      socket.destroy();
    });
  }

  #spawn(index: number): Promise<void> {
    const child = fork(WORKER_MODULE, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // a message to a worker that has just died fails: its exit is handled below
    child.on('error', (err) =>
      this.#options.logger.log({
        level: 'debug',
        sender: 'sftpd',
        message: `SSH worker ${index}: ${err.message}`,
      }),
    );
    const worker: Worker = {
      index,
      child,
      questions: new IpcRequests((m) => child.send(m), ANSWER_MS),
      handed: 0,
      sessions: new KeyCounts(),
      hosts: new KeyCounts(),
      ready: false,
      exited,
    };
    this.#workers[index] = worker;
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`SSH worker ${index} did not start within ${START_MS / 1000} s`));
      }, START_MS);
      child.on('message', (message: ToMain) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          worker.ready = true;
          resolve();
        } else if (message.type === 'failed') {
          clearTimeout(timer);
          reject(new Error(`SSH worker ${index} could not start: ${message.message}`));
        } else {
          this.#onMessage(worker, message);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`SSH worker ${index} exited at start (${signal ?? `code ${code}`})`));
        this.#onExit(worker, code, signal);
      });
    });
    child.send({ type: 'setup', setup: { ...this.#options.setup, index, bans: [...this.#bans] } });
    return started;
  }

  #onMessage(worker: Worker, message: ToMain): void {
    const { logger, metrics } = this.#options;
    switch (message.type) {
      case 'log':
        logger.log(message.entry);
        break;
      case 'event':
        metrics.onEvent(message.event);
        break;
      case 'login':
        metrics.onLogin(message.event);
        break;
      case 'objectTransfer':
        metrics.objectStores[message.kind].transfer(
          message.direction,
          message.bytes,
          message.failed ? message : undefined,
        );
        break;
      case 'objectRequest':
        metrics.objectStores[message.kind].request(
          message.request,
          message.failed ? message : undefined,
        );
        break;
      case 'gone':
        worker.handed--;
        break;
      case 'loginFailure':
        this.#loginFailure(message.ip);
        break;
      case 'release':
        this.#release(worker, message.username);
        break;
      case 'closeHost':
        this.#closeHost(worker, message.ip);
        break;
      case 'request':
        this.#admit(worker, message);
        break;
      case 'reply':
        worker.questions.settle(message);
        break;
    }
  }

  #admit(worker: Worker, request: Request<MainQuestion>): void {
    void answer(
      request,
      (question): Admission => {
        if (question.what === 'openHost') {
          const refused = this.#hosts.open(question.ip);
          if (refused !== undefined) return { refused };
          worker.hosts.add(question.ip);
          return {};
        }
        try {
          this.#sessions.admit({ username: question.username, max_sessions: question.maxSessions });
        } catch (err) {
          if (err instanceof SessionLimitError) return { refused: err.message };
          throw err;
        }
        worker.sessions.add(question.username);
        return {};
      },
      (reply) => {
        if (worker.child.connected) worker.child.send(reply);
      },
    );
  }

  #release(worker: Worker, username: string): void {
    if (worker.sessions.remove(username)) this.#sessions.release(username);
  }

  #closeHost(worker: Worker, ip: string): void {
    if (worker.hosts.remove(ip)) this.#hosts.close(ip);
  }

  #loginFailure(ip: string): void {
    if (!this.#defender?.recordFailure(ip)) return;
    this.#options.logger.log({ level: 'warn', sender: 'defender', message: `banned ${ip}` });
    const now = Date.now();
    const until = now + (this.#options.defender?.banTimeMs ?? 0);
    for (const [banned, end] of this.#bans) if (end <= now) this.#bans.delete(banned);
    this.#bans.set(ip, until);
    for (const w of this.#live()) w.child.send({ type: 'ban', ip, until });
  }

  #onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#workers[worker.index] !== worker) return;
    this.#workers[worker.index] = undefined;
    worker.questions.abandon('the SSH worker exited');
    worker.sessions.drain((username) => this.#sessions.release(username));
    worker.hosts.drain((ip) => this.#hosts.close(ip));
    // at a stop, what a worker killed past the grace time left is finished at the next start
    if (!this.#stopping && worker.child.pid !== undefined) {
      this.#options.onWorkerDied?.(worker.child.pid).catch((err: unknown) =>
        this.#options.logger.log({
          level: 'error',
          sender: 'sftpd',
          message: (err as Error).message,
        }),
      );
    }
    if (this.#stopping || !worker.ready) return;
    this.#options.logger.log({
      level: 'error',
      sender: 'sftpd',
      message: `SSH worker ${worker.index} (pid ${worker.child.pid}) exited (${signal ?? `code ${code}`}): its connections are closed; starting another`,
    });
    this.#respawn(worker.index, RESTART_DELAY_MS);
  }

  /** Starts worker `index` again after `delayMs`, and keeps trying, less often, if it fails. */
  #respawn(index: number, delayMs: number): void {
    const { logger } = this.#options;
    setTimeout(() => {
      if (this.#stopping) return;
      this.#spawn(index).then(
        () =>
          logger.log({
            level: 'info',
            sender: 'sftpd',
            message: `SSH worker ${index} started again (pid ${this.#workers[index]?.child.pid})`,
          }),
        (err: unknown) => {
          logger.log({ level: 'error', sender: 'sftpd', message: (err as Error).message });
          this.#respawn(index, Math.min(delayMs * 2, MAX_RESTART_DELAY_MS));
        },
      );
    }, delayMs).unref();
  }
}
