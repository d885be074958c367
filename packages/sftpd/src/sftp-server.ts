import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server as NetServer, type Socket } from 'node:net';
import { plainAddress } from '@sftpgo/auth';
import type { Connection, Server as SshServer } from 'ssh2';
import type { UploadMode } from './atomic-upload-fs.js';
import { Authenticator } from './authenticator.js';
import { paceForOpenSsh } from './channel-pacing.js';
import { ConnectionLogin, type LoginServices } from './connection-login.js';
import { Defender, type DefenderOptions, type LoginDefender } from './defender.js';
import { type HostConnectionCounter, HostConnections } from './host-connections.js';
import { IdleWatch } from './idle-watch.js';
import { type ConnectionStatus, LiveConnection } from './live-connection.js';
import { type Logger, silentLogger } from './logger.js';
import { LoginRecorder } from './login-recorder.js';
import { PacketArena } from './packet-arena.js';
import { ProxyGate, type ProxyProtocolOptions } from './proxy-gate.js';
import type { ProxiedAddress } from './proxy-protocol.js';
import type { QuotaTracking } from './quota-fs.js';
import { type ChannelServices, serveCommand, serveSftp } from './session-channels.js';
import type { LoginEvent, SessionEvent } from './session-events.js';
import type { SetStatMode } from './setstat-mode-fs.js';
import { algorithmsConfig, type SshAlgorithms } from './ssh-algorithms.js';
import { isCommandServed, type SshCommandSession } from './ssh-commands/run-ssh-command.js';
import { ssh2 } from './ssh2.js';
import { batchWritesPerTick } from './tick-batched-writes.js';
import type { UploadJournal } from './upload-journal.js';
import { type SessionCounter, UserSessions } from './user-sessions.js';
import type { UserSource } from './user-source.js';
import { openLocalStorage, type StorageOpener } from './user-storage.js';

export interface SftpServerOptions {
  /** Host private keys, in any format ssh2 reads (PEM, OpenSSH). */
  readonly hostKeys: readonly Buffer[];
  /** Where users are found: a `DataProvider`, or an application's own {@link UserSource}. */
  readonly users: UserSource;
  /**
   * Opens a user's storage for a session; the local filesystem by default,
   * which refuses users of S3 and Google Cloud Storage.
   */
  readonly openStorage?: StorageOpener;
  /** The software version of the SSH identification string, `SSH-2.0-<ident>`. */
  readonly ident?: string;
  readonly logger?: Logger;
  /** The spec's `upload_mode`: 0 in place (default), 1 atomic, 2 atomic with resume. */
  readonly uploadMode?: UploadMode;
  /**
   * Where uploads in `uploadMode` 1 and 2 are noted while they run, so that
   * those a killed process leaves can be finished (`recoverUploads`); none
   * when absent.
   */
  readonly uploadJournal?: UploadJournal;
  /** The spec's `setstat_mode`: 0 applies attribute changes (default), 1 ignores them. */
  readonly setstatMode?: SetStatMode;
  /**
   * The spec's `track_quota`: 0 off, 1 for every user, 2 (default) for users
   * with a quota. Off when the user source cannot record quota.
   */
  readonly quotaTracking?: QuotaTracking;
  /** A connection that sends nothing for this long is closed; 0 (default) never. */
  readonly idleTimeoutMs?: number;
  /**
   * Every finished transfer and successful command, for logs and actions.
   * The end of an SFTP transfer is told right after the reply to its CLOSE
   * has been written, so that the client does not wait for what is done
   * with it. An error thrown by the callback is logged.
   */
  readonly onEvent?: (event: SessionEvent) => void;
  /** Every login that succeeded or failed, for metrics. */
  readonly onLogin?: (event: LoginEvent) => void;
  /**
   * Called with the size of each chunk read from a connection, once ssh2
   * has parsed it. The server's command counts them to collect V8's young
   * generation as data arrives: an upload's memory is in chunks that V8
   * otherwise frees only when a collection comes round.
   */
  readonly onBytesReceived?: (bytes: number) => void;
  /**
   * Called once for each connection whose socket closes, logged in or not.
   * The server's command counts them to collect V8's whole heap after a
   * burst of sessions has ended: what each leaves waits otherwise for V8 to
   * collect its old generation, which can be minutes.
   */
  readonly onConnectionClosed?: () => void;
  /** Algorithms offered, in preference order; empty or absent lists keep ssh2's defaults. */
  readonly algorithms?: SshAlgorithms;
  /**
   * The spec's `keyboard_interactive_auth_program`: an absolute path; when
   * set, keyboard-interactive logins run it.
   */
  readonly keyboardInteractiveProgram?: string;
  /**
   * The spec's `enabled_ssh_commands`: the exec requests served; `*` for all.
   * md5sum, sha1sum, cd and pwd by default.
   */
  readonly sshCommands?: readonly string[];
  /** The scp engine, which serves `scp` when it is enabled. */
  readonly runScp?: SshCommandSession['runScp'];
  /** The spec's `external_auth_program` (absolute path) and `external_auth_scope`. */
  readonly externalAuth?: { readonly program: string; readonly scope: number };
  /**
   * Bans addresses whose logins keep failing: the settings of a
   * {@link Defender} of this server's own, or a defender shared with other
   * processes; none when absent.
   */
  readonly defender?: DefenderOptions | LoginDefender;
  /**
   * Counts each user's logged-in connections against its `max_sessions`;
   * this server's own count when absent. A server whose connections are
   * spread over processes gives each one a counter that asks a shared one.
   */
  readonly sessions?: SessionCounter;
  /** Text sent to clients before they authenticate. */
  readonly loginBanner?: string;
  /** Failed login attempts allowed per connection: 0 means 6, a negative number no limit. */
  readonly maxAuthTries?: number;
  /**
   * A connection not logged in this long after it was accepted is dropped
   * (default two minutes), whether it stalls before its SSH identification,
   * in the key exchange or in authentication.
   */
  readonly loginGraceMs?: number;
  /**
   * Connections open at once from one client address, logged in or not; a
   * connection beyond is refused before the key exchange. 0 (the default)
   * sets no limit.
   */
  readonly maxPerHostConnections?: number;
  /**
   * Counts each address's connections against its limit, in place of this
   * server's own count of `maxPerHostConnections`: a server whose
   * connections are spread over processes gives each one a counter that
   * asks a shared one.
   */
  readonly hostConnections?: HostConnectionCounter;
  /**
   * The spec's `proxy_protocol` (1 use a header, 2 require one) and
   * `proxy_allowed`; off when absent.
   */
  readonly proxyProtocol?: ProxyProtocolOptions;
}

/** Session channels open at once on one connection: OpenSSH's `MaxSessions` default. */
const SESSIONS_PER_CONNECTION = 10;

/**
 * `onEvent`, made safe to call after the request it reports has been
 * answered: a failure of the embedder's callback is logged, where it would
 * otherwise end the process.
 */
function reportingFailures(
  onEvent: ((event: SessionEvent) => void) | undefined,
  logger: Logger,
): (event: SessionEvent) => void {
  if (!onEvent) return () => {};
  return (event) => {
    try {
      onEvent(event);
    } catch (err) {
      logger.log({
        level: 'error',
        sender: 'sftpd',
        connection_id: event.connectionId,
        message: `onEvent failed on a ${event.type} event: ${(err as Error).message}`,
      });
    }
  };
}

/**
 * The SSH service: authenticates users against the user source and serves
 * each one SFTP, SCP and SSH commands on their storage.
 *
 * @example
 * const server = new SftpServer({ hostKeys, users: provider });
 * const address = await server.listen(2022, '0.0.0.0');
 */
export class SftpServer {
  readonly #ssh: SshServer;
  readonly #tcp: NetServer;
  /** Memory for the packets sent, shared by the connections and reused once written. */
  readonly #packets = new PacketArena();
  readonly #logger: Logger;
  readonly #channels: ChannelServices;
  readonly #idleTimeoutMs: number;
  readonly #loginServices: LoginServices;
  readonly #connections = new Map<string, LiveConnection>();
  /** Set by {@link close}: the connections it ends did not fail. */
  #closing = false;
  /**
   * Sockets (`address:port`) whose client has not yet sent its SSH
   * identification, with the client's address (a proxy's header's, if one
   * came): ssh2 tells nothing of those that leave or send garbage.
   */
  readonly #beforeIdent = new Map<string, { client: ProxiedAddress; acceptedAt: number }>();
  readonly #hostConnections: HostConnectionCounter;
  readonly #defender: LoginDefender | undefined;
  readonly #proxyGate: ProxyGate | undefined;
  readonly #onBytesReceived: ((bytes: number) => void) | undefined;
  readonly #onConnectionClosed: (() => void) | undefined;

  constructor(options: SftpServerOptions) {
    const { users } = options;
    this.#logger = options.logger ?? silentLogger;
    this.#onBytesReceived = options.onBytesReceived;
    this.#onConnectionClosed = options.onConnectionClosed;
    this.#channels = {
      openStorage: options.openStorage ?? openLocalStorage,
      quotaStore: {
        getUserByUsername: (username) => users.getUserByUsername(username),
        // The file operation is done: failing its request would tell the
        // client a lie. The change is logged as lost; a quota scan restores it.
        updateQuota: async (username, change) => {
          try {
            await users.updateQuota?.(username, change);
          } catch (err) {
            this.#logger.log({
              level: 'error',
              sender: 'sftpd',
              message:
                `the used quota of user ${JSON.stringify(username)} is not updated ` +
                `(${JSON.stringify(change)}): ${(err as Error).message}; ` +
                'a quota scan of the user makes it right',
              username,
            });
          }
        },
      },
      fsOptions: {
        uploadMode: options.uploadMode ?? 0,
        uploadJournal: options.uploadJournal,
        setstatMode: options.setstatMode ?? 0,
        quotaTracking: users.updateQuota ? (options.quotaTracking ?? 2) : 0,
      },
      onEvent: reportingFailures(options.onEvent, this.#logger),
      logger: this.#logger,
      sshCommands: new Set(options.sshCommands ?? ['md5sum', 'sha1sum', 'cd', 'pwd']),
      runScp: options.runScp,
    };
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this.#hostConnections =
      options.hostConnections ?? new HostConnections(options.maxPerHostConnections ?? 0);
    const defender =
      options.defender && 'isBanned' in options.defender
        ? options.defender
        : options.defender && new Defender(options.defender);
    this.#defender = defender;
    const proxy = options.proxyProtocol;
    this.#proxyGate = proxy && new ProxyGate(proxy, this.#logger);
    const tries = options.maxAuthTries ?? 0;
    this.#loginServices = {
      auth: new Authenticator({
        users,
        ...(options.keyboardInteractiveProgram
          ? { keyboardInteractiveProgram: options.keyboardInteractiveProgram }
          : {}),
        ...(options.externalAuth ? { externalAuth: options.externalAuth } : {}),
      }),
      recorder: new LoginRecorder({
        logger: this.#logger,
        users,
        onLogin: options.onLogin ?? (() => {}),
        defender,
      }),
      sessions: options.sessions ?? new UserSessions(),
      maxAuthTries: tries === 0 ? 6 : tries < 0 ? Number.POSITIVE_INFINITY : tries,
      loginGraceMs: options.loginGraceMs ?? 120_000,
      closing: () => this.#closing,
    };
    this.#ssh = new ssh2.Server({
      hostKeys: [...options.hostKeys],
      algorithms: algorithmsConfig(options.algorithms),
      ...(options.ident ? { ident: options.ident } : {}),
      ...(options.loginBanner ? { banner: options.loginBanner } : {}),
    });
    this.#ssh.on('connection', (client, info) => {
      this.#packets.supply(client);
      const peer = `${info.ip}:${info.port}`;
      const accepted = this.#beforeIdent.get(peer) ?? {
        client: { address: plainAddress(info.ip), port: info.port },
        acceptedAt: Date.now(),
      };
      this.#beforeIdent.delete(peer);
      const { address, port } = accepted.client;
      this.#accept(client, address, port, info.header.identRaw, accepted.acceptedAt);
    });
    this.#tcp = createServer((socket: Socket) => this.handleConnection(socket));
  }

  /**
   * Serves a connection accepted elsewhere: by a listener of the
   * application's own, or of another process that handed the socket over.
   * A connection of {@link listen}'s listener comes here too.
   */
  handleConnection(socket: Socket): void {
    void this.#admit(socket);
  }

  /**
   * Hands a new connection to ssh2, once its client address is known: the
   * socket's, or the one a proxy's header gives. Read once here, so that
   * every log line, filter, ban, action and metric gets the plain IPv4
   * address, never the IPv4-mapped form a socket on `::` reports.
   */
  async #admit(socket: Socket): Promise<void> {
    if (this.#onConnectionClosed) socket.once('close', this.#onConnectionClosed);
    // ssh2 writes each SSH packet separately: without this, Nagle holds back
    // the small replies that acknowledge each write and uploads crawl.
    socket.setNoDelay(true);
    // a peer that resets at once (a load balancer's health check) may be gone
    // before this runs, its address with it: nothing to filter, log or ban
    if (socket.remoteAddress === undefined) {
      this.#logger.log({
        level: 'debug',
        sender: 'sftpd',
        message: 'connection reset by the client before it was accepted',
      });
      socket.destroy();
      return;
    }
    const acceptedAt = Date.now();
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    let client: ProxiedAddress = {
      address: plainAddress(socket.remoteAddress),
      port: socket.remotePort ?? 0,
    };
    // a header without a client address is the proxy's own connection (its
    // health checks): none of a client's, whose silence would be logged
    let proxyOwn = false;
    if (this.#proxyGate) {
      const header = await this.#proxyGate.read(socket, client.address);
      if (header === null) return;
      if (header?.source) {
        client = { address: plainAddress(header.source.address), port: header.source.port };
      }
      proxyOwn = header !== undefined && header.source === undefined;
    }
    const ip = client.address;
    if (this.#defender?.isBanned(ip)) {
      // refused before any key exchange: a banned address costs nothing
      this.#logger.log({ level: 'debug', sender: 'defender', message: `refused banned ${ip}` });
      socket.destroy();
      return;
    }
    if (!(await this.#countHost(ip, socket))) return;
    this.#beforeIdent.set(peer, { client, acceptedAt });
    // A client silent before its identification is ssh2's to wait for
    // forever: dropped at the login deadline, as one that stalls later is.
    const silent = setTimeout(() => {
      if (this.#beforeIdent.has(peer)) socket.destroy();
    }, this.#loginServices.loginGraceMs);
    silent.unref();
    socket.once('close', () => {
      clearTimeout(silent);
      if (this.#beforeIdent.delete(peer) && !this.#closing && !proxyOwn) {
        this.#loginServices.recorder.noAuthAttempt(ip, 'no SSH identification from the client');
      }
    });
    batchWritesPerTick(socket);
    this.#packets.watch(socket);
    this.#ssh.injectSocket(socket);
    const received = this.#onBytesReceived;
    // after ssh2's listener: a chunk is garbage by the time it is counted
    if (received) socket.on('data', (chunk: Buffer) => received(chunk.length));
    // the header's reader left it paused, and ssh2's listener resumes nothing
    socket.resume();
  }

  /**
   * Counts a connection of `ip` until its socket closes; refuses it, false,
   * when `ip` already has its limit of connections open.
   */
  async #countHost(ip: string, socket: Socket): Promise<boolean> {
    let refused: string | undefined;
    try {
      refused = await this.#hostConnections.open(ip);
    } catch (err) {
      // a shared counter that does not answer: no connection goes uncounted
      refused = `its connections could not be counted: ${(err as Error).message}`;
    }
    if (refused !== undefined) {
      this.#logger.log({
        level: 'warn',
        sender: 'sftpd',
        message: `connection from ${ip} refused: ${refused}`,
        client_ip: ip,
      });
      socket.destroy();
      return false;
    }
    // a client gone while a shared counter answered has closed already
    if (socket.destroyed) {
      this.#hostConnections.close(ip);
      return false;
    }
    socket.once('close', () => this.#hostConnections.close(ip));
    return true;
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

  /** The logged-in connections, as the REST API lists them. */
  listConnections(): ConnectionStatus[] {
    return [...this.#connections.values()].filter((c) => c.username).map((c) => c.status());
  }

  /** Ends a connection; false when no connection has that id. */
  closeConnection(id: string): boolean {
    const connection = this.#connections.get(id);
    connection?.client.end();
    return connection !== undefined;
  }

  /**
   * Stops accepting connections and closes those open: at once when idle,
   * after their transfers otherwise, waiting at most `graceMs` for these;
   * resolves once every connection has closed its files.
   */
  async close(options: { readonly graceMs?: number } = {}): Promise<void> {
    this.#closing = true;
    const stopped = new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
    const deadline = Date.now() + (options.graceMs ?? 0);
    for (;;) {
      const open = [...this.#connections.values()];
      for (const c of open) if (!c.transferring) c.client.end();
      if (!open.some((c) => c.transferring) || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const connections = [...this.#connections.values()];
    for (const c of connections) c.client.end();
    await Promise.all(connections.map((c) => c.closed));
    await stopped;
  }

  #accept(
    client: Connection,
    clientIp: string,
    port: number,
    clientIdent: string,
    acceptedAt: number,
  ): void {
    const id = randomBytes(8).toString('hex');
    const idle = this.#idleTimeoutMs > 0 ? this.#watchIdle(client, id, clientIp) : undefined;
    const connection = new LiveConnection(id, client, clientIp, port, clientIdent, () => {
      login.closed();
      this.#connections.delete(id);
      idle?.stop();
    });
    const login = new ConnectionLogin(this.#loginServices, connection, acceptedAt);
    this.#connections.set(id, connection);
    const onActivity = () => {
      idle?.touch();
      connection.touch();
    };

    client.on('error', (err) => {
      login.leftBeforeAuth(err.message);
      this.#logger.log({
        level: 'debug',
        sender: 'sftpd',
        connection_id: id,
        message: err.message,
      });
    });
    client.on('ready', () => {
      let openSessions = 0;
      client.on('session', (acceptSession, rejectSession) => {
        // each session holds buffers and may hold files: a connection gets
        // OpenSSH's MaxSessions, not as many as it asks for
        if (openSessions >= SESSIONS_PER_CONNECTION) {
          this.#logger.log({
            level: 'info',
            sender: 'sftpd',
            connection_id: id,
            message: `session refused: ${SESSIONS_PER_CONNECTION} sessions already open on the connection`,
          });
          rejectSession();
          return;
        }
        openSessions++;
        const session = acceptSession();
        // whatever it ran: the subsystem, a command, or nothing
        session.once('close', () => openSessions--);
        session.on('exec', (accept, reject, info) => {
          const { user } = login;
          if (!user) {
            reject();
            return;
          }
          if (!isCommandServed(info.command, this.#channels.sshCommands)) {
            this.#logger.log({
              level: 'info',
              sender: 'sftpd',
              connection_id: id,
              message: `ssh command not enabled/supported: ${JSON.stringify(info.command)}`,
            });
            reject();
            return;
          }
          const channel = accept();
          paceForOpenSsh(channel, connection.clientVersion);
          connection.sessions.add(
            serveCommand(this.#channels, channel, info.command, user, connection, onActivity),
          );
        });
        session.on('subsystem', (accept, reject, info) => {
          const { user } = login;
          if (info.name !== 'sftp' || !user) {
            reject();
            return;
          }
          const channel = accept();
          paceForOpenSsh(channel, connection.clientVersion);
          connection.sessions.add(serveSftp(this.#channels, channel, user, connection, onActivity));
        });
      });
    });
  }

  /** A timer that closes the connection once it has been idle for the timeout. */
  #watchIdle(client: Connection, id: string, clientIp: string): IdleWatch {
    return new IdleWatch(this.#idleTimeoutMs, () => {
      this.#logger.log({
        level: 'info',
        sender: 'sftpd',
        message: `closing connection ${id} from ${clientIp}: idle for ${this.#idleTimeoutMs / 1000} s`,
        connection_id: id,
      });
      client.end();
    });
  }
}
