import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { threadId } from 'node:worker_threads';

/** Where the search starts: above the ports of the usual local services. */
const LOWEST_PORT = 20_000;
/** Linux's default first ephemeral port, for a kernel whose setting cannot be read. */
const DEFAULT_EPHEMERAL_LOW = 32_768;
/** How many taken ports one call tries before it gives up. */
const ATTEMPTS = 200;

/**
 * The first port the kernel hands out for a bind to port 0 or an outgoing
 * connection. A port below it is never given away by the kernel, so a port
 * found free there stays free until a test binds it: a server started with
 * `bind_port` 0 beside it cannot take it, as it could take a port that a probe
 * bound to port 0 has just released.
 */
function ephemeralLow(): number {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'), 10);
    return Number.isInteger(low) && low > LOWEST_PORT + ATTEMPTS ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

const span = ephemeralLow() - LOWEST_PORT;
/**
 * Each process (and worker thread) scans from its own place in the range, so
 * that test files running in parallel do not pick the same port between one's
 * check and its bind; within one process the scan moves on at every call.
 */
let next = (process.pid * 7_919 + threadId * 104_729) % span;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A TCP port free on 127.0.0.1 at the time of the call, taken below the
 * kernel's ephemeral range (see {@link ephemeralLow}).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST_PORT + next;
    next = (next + 1) % span;
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port among ${ATTEMPTS} tried below ${LOWEST_PORT + span}`);
}
