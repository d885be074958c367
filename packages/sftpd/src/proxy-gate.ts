import type { Socket } from 'node:net';
import { isAddressAllowed } from '@sftpgo/auth';
import type { Logger } from './logger.js';
import {
  type ProxyHeader,
  type ProxyPolicy,
  proxyPolicy,
  readProxyHeader,
} from './proxy-protocol.js';

/** Where a PROXY protocol header is read, and from whom it is believed. */
export interface ProxyProtocolOptions {
  /** 1: a header is used when a connection starts with one; 2: one is required. */
  readonly mode: 1 | 2;
  /**
   * Addresses and CIDR networks of the proxies; empty: any address. Another
   * address's header is read and ignored in mode 1, its connection refused in mode 2.
   */
  readonly allowed: readonly string[];
  /** How long a header may take to arrive: ten seconds by default, as the reference server's. */
  readonly headerTimeoutMs?: number;
}

/** The listener's door for `proxy_protocol`: reads each connection's header as its peer is allowed. */
export class ProxyGate {
  readonly #mode: 1 | 2;
  /** The networks of `proxy_allowed`, a bare address being a network of one. */
  readonly #allowed: readonly string[];
  readonly #timeoutMs: number;
  readonly #logger: Logger;

  constructor(options: ProxyProtocolOptions, logger: Logger) {
    this.#mode = options.mode;
    this.#allowed = options.allowed.map((entry) =>
      entry.includes('/') ? entry : `${entry}/${entry.includes(':') ? 128 : 32}`,
    );
    this.#timeoutMs = options.headerTimeoutMs ?? 10_000;
    this.#logger = logger;
  }

  #policyOf(peerIp: string): ProxyPolicy {
    const listed =
      this.#allowed.length === 0
        ? undefined
        : isAddressAllowed(peerIp, { allowed_ip: this.#allowed, denied_ip: [] });
    return proxyPolicy(this.#mode, listed);
  }

  /**
   * The header `socket` (from `peerIp`) starts with, undefined when there is
   * none to take, or null when the connection is refused: then it is logged
   * and closed.
   */
  async read(socket: Socket, peerIp: string): Promise<ProxyHeader | undefined | null> {
    const policy = this.#policyOf(peerIp);
    const refuse = (reason: string) => {
      this.#logger.log({
        level: 'warn',
        sender: 'sftpd',
        message: `connection from ${peerIp} refused: ${reason}`,
      });
      socket.destroy();
      return null;
    };
    if (policy === 'reject') return refuse('not an address of proxy_allowed');
    try {
      return await readProxyHeader(socket, policy, this.#timeoutMs);
    } catch (err) {
      return refuse((err as Error).message);
    }
  }
}
