import { hostPort } from '@sftpgo/auth';
import type ssh2 from 'ssh2';
import type { ActiveTransfer } from './session-events.js';

/** A connection as the REST API lists it, in the reference server's fields. */
export interface ConnectionStatus {
  readonly username: string;
  readonly connection_id: string;
  /** The client's whole identification string, `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10`. */
  readonly client_version: string;
  /** Address and port, `127.0.0.1:54321` or `[2001:db8::1]:54321`. */
  readonly remote_address: string;
  /** Milliseconds since the epoch. */
  readonly connection_time: number;
  readonly last_activity: number;
  readonly protocol: 'SFTP' | 'SCP' | 'SSH';
  readonly ssh_command: string;
  readonly active_transfers: readonly {
    readonly operation_type: 'upload' | 'download';
    readonly path: string;
    readonly start_time: number;
    readonly size: number;
    readonly last_activity: number;
    /** Bytes per second since the start; beyond the reference server's fields. */
    readonly speed: number;
  }[];
}

/** One SSH connection while it lives. */
export class LiveConnection {
  readonly id: string;
  readonly client: ssh2.Connection;
  /** The client's address, IPv4 written plain, never IPv4-mapped. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The client's whole identification string, `SSH-2.0-<software> <comments>`. */
  readonly clientVersion: string;
  readonly connectedAt = Date.now();
  lastActivity = this.connectedAt;
  /** Set once the user has logged in. */
  username: string | undefined;
  /** What the connection speaks: SFTP, or the last SSH command it ran. */
  protocol: 'SFTP' | 'SCP' | 'SSH' = 'SFTP';
  sshCommand = '';
  /** The sessions' work, which closing the connection waits for. */
  readonly sessions = new Set<Promise<unknown>>();
  /** The live transfers of each SFTP session. */
  readonly transfers = new Set<ReadonlySet<ActiveTransfer>>();
  /** Settles once the client has gone and every session has closed its files. */
  readonly closed: Promise<void>;

  constructor(
    id: string,
    client: ssh2.Connection,
    remoteAddress: string,
    remotePort: number,
    clientVersion: string,
    onClose: () => void,
  ) {
    this.id = id;
    this.client = client;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.clientVersion = clientVersion;
    this.closed = new Promise((resolve) => {
      client.on('close', () => {
        onClose();
        void Promise.allSettled(this.sessions).then(() => resolve());
      });
    });
  }

  /** Whether a file is being transferred now. */
  get transferring(): boolean {
    for (const set of this.transfers) if (set.size > 0) return true;
    return false;
  }

  touch(): void {
    this.lastActivity = Date.now();
  }

  status(): ConnectionStatus {
    const active = [...this.transfers].flatMap((set) => [...set]);
    return {
      username: this.username ?? '',
      connection_id: this.id,
      client_version: this.clientVersion,
      remote_address: hostPort(this.remoteAddress, this.remotePort),
      connection_time: this.connectedAt,
      last_activity: Math.max(this.lastActivity, ...active.map((t) => t.lastActivity)),
      protocol: this.protocol,
      ssh_command: this.sshCommand,
      active_transfers: active.map((t) => ({
        operation_type: t.operation,
        path: t.path,
        start_time: t.startTime,
        size: t.bytes,
        last_activity: t.lastActivity,
        speed: Math.round((t.bytes * 1000) / Math.max(1, Date.now() - t.startTime)),
      })),
    };
  }
}
