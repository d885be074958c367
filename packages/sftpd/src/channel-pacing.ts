import { performance } from 'node:perf_hooks';

/** Beyond half its window, what OpenSSH's client lets a channel send ahead at first: four packets. */
const MARGIN = 4 * 32 * 1024;
/**
 * Waits for the client's window adjustment longer than this, so many times
 * in a row, are a long path to the client rather than a client busy taking
 * in what it has (which makes one wait in a hundred that long, and at most
 * three in a row, on a loaded machine): the data held back is then needed
 * to keep the path full.
 */
const LONG_WAIT_MS = 10;
const LONG_WAITS_IN_A_ROW = 8;

/** OpenSSH's identification: `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7`. */
const OPENSSH_CLIENT = /^SSH-2\.0-OpenSSH_/;

/** The part of an ssh2 channel that flow control reads and writes (ssh2 1.x). */
interface ChannelFlow {
  outgoing?: { window?: unknown };
}

/**
 * Keeps a channel to OpenSSH's client from sending more than half the
 * client's window and four packets ahead of what the client has taken in.
 *
 * OpenSSH's client buffers whatever its window lets through, and moves its
 * buffered data down each time it takes a packet out: with 2 MiB buffered
 * (sftp's 64 requests of 32 KiB), a download spent more of the client's CPU
 * than of ours, and went slower than from sshd, which never runs that far
 * ahead. The client adjusts its window once it has taken in three packets,
 * or half the window, so a channel held at half and four packets is never
 * left waiting for good. Where the client's adjustment is slow to come time
 * after time (a long network path rather than a busy client), what may be
 * sent ahead doubles, up to the client's whole window.
 *
 * Returns false, changing nothing, for other clients, or a channel not
 * built as the ssh2 release this was written for builds it.
 */
export function paceForOpenSsh(channel: object, clientVersion: string): boolean {
  if (!OPENSSH_CLIENT.test(clientVersion)) return false;
  const outgoing = (channel as ChannelFlow).outgoing;
  if (typeof outgoing !== 'object' || outgoing === null) return false;
  const own = Object.getOwnPropertyDescriptor(outgoing, 'window');
  if (own === undefined || typeof own.value !== 'number' || !own.writable) return false;
  const full = own.value;
  // what may be sent ahead is the window less what is held back
  let held = full - (Math.floor(full / 2) + MARGIN);
  if (held <= 0) return false;
  let window = full - held;
  let starvedAt: number | undefined;
  let longWaits = 0;
  Object.defineProperty(outgoing, 'window', {
    configurable: true,
    enumerable: own.enumerable ?? true,
    get: () => window,
    set: (next: number) => {
      if (next > window) {
        // the client's adjustment
        if (starvedAt !== undefined) {
          longWaits = performance.now() - starvedAt > LONG_WAIT_MS ? longWaits + 1 : 0;
          starvedAt = undefined;
        }
        if (held > 0 && longWaits >= LONG_WAITS_IN_A_ROW) {
          // doubles what may be sent ahead, up to the whole window
          const released = Math.min(held, full - held);
          held -= released;
          next += released;
          longWaits = 0;
        }
      } else if (next <= 0) {
        starvedAt ??= performance.now();
      }
      window = next;
    },
  });
  return true;
}
