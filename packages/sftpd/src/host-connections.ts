import { KeyCounts } from './key-counts.js';

/**
 * Counts the open connections of each client address, so that
 * `max_per_host_connections` holds. {@link HostConnections} counts those of
 * one process; a server whose connections are spread over processes counts
 * them in one place, asked by each.
 */
export interface HostConnectionCounter {
  /**
   * Counts a connection of `ip`; at the limit, counts nothing and gives the
   * reason it is refused.
   */
  open(ip: string): string | undefined | Promise<string | undefined>;
  /** Counts the end of a connection that {@link open} counted. */
  close(ip: string): void;
}

/** The open connections of each address, held to a limit (0: none, and nothing is counted). */
export class HostConnections implements HostConnectionCounter {
  readonly #max: number;
  readonly #open = new KeyCounts();

  constructor(maxPerHost: number) {
    this.#max = maxPerHost;
  }

  open(ip: string): string | undefined {
    if (this.#max <= 0) return undefined;
    const open = this.#open.count(ip);
    if (open >= this.#max) {
      return `${open} connections from this address are open, the limit of max_per_host_connections`;
    }
    this.#open.add(ip);
    return undefined;
  }

  close(ip: string): void {
    this.#open.remove(ip);
  }
}
