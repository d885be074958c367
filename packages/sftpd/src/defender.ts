import { isAddressAllowed } from '@sftpgo/auth';

export interface DefenderOptions {
  /** Score added by each failed login. */
  readonly scorePerFailure: number;
  /** Score within the observation window at which an address is banned. */
  readonly threshold: number;
  readonly banTimeMs: number;
  /** How long a failure counts towards the score. */
  readonly observationMs: number;
  /** Addresses, in CIDR form, that are never banned. */
  readonly allowList: readonly string[];
  /** Addresses tracked at once; the least recently seen are forgotten first. */
  readonly maxHosts?: number;
}

/**
 * What the login flow asks of a defender: whether an address is banned, and
 * to score a failed login. {@link Defender} keeps the scores itself; a
 * server whose connections are spread over processes gives each one a
 * defender that tells a shared one.
 */
export interface LoginDefender {
  isBanned(ip: string): boolean;
  /** Counts a failed login from `ip`; true when this has just banned it. */
  recordFailure(ip: string): boolean;
}

interface Host {
  /** When each failure happened, oldest first, within the observation window. */
  failures: number[];
  bannedUntil: number;
}

/**
 * Bans addresses whose failed logins reach a score, for a while, so that the
 * server refuses their connections before any key exchange. Memory is
 * bounded: it tracks at most `maxHosts` addresses.
 */
export class Defender implements LoginDefender {
  readonly #options: DefenderOptions;
  readonly #maxHosts: number;
  /** In the order they were last seen, oldest first. */
  readonly #hosts = new Map<string, Host>();

  constructor(options: DefenderOptions) {
    this.#options = options;
    this.#maxHosts = options.maxHosts ?? 10_000;
  }

  #allowed(ip: string): boolean {
    const { allowList } = this.#options;
    return allowList.length > 0 && isAddressAllowed(ip, { allowed_ip: allowList, denied_ip: [] });
  }

  isBanned(ip: string, now = Date.now()): boolean {
    const host = this.#hosts.get(ip);
    return host !== undefined && host.bannedUntil > now;
  }

  /** Counts a failed login from `ip`; true when it has just been banned. */
  recordFailure(ip: string, now = Date.now()): boolean {
    if (this.#allowed(ip)) return false;
    const host = this.#hosts.get(ip) ?? { failures: [], bannedUntil: 0 };
    this.#hosts.delete(ip);
    this.#hosts.set(ip, host);
    if (this.#hosts.size > this.#maxHosts) {
      const oldest = this.#hosts.keys().next().value;
      if (oldest !== undefined) this.#hosts.delete(oldest);
    }
    const since = now - this.#options.observationMs;
    host.failures = host.failures.filter((t) => t > since);
    host.failures.push(now);
    const score = host.failures.length * this.#options.scorePerFailure;
    if (score < this.#options.threshold || host.bannedUntil > now) return false;
    host.bannedUntil = now + this.#options.banTimeMs;
    host.failures = [];
    return true;
  }
}
