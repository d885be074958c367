import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { threadId } from 'node:worker_threads';

/** Where the search starts below the ephemeral range: above the ports of the usual local services. */
const LOWEST_PORT = 20_000;
/** The lowest port taken when the ephemeral range leaves no room above {@link LOWEST_PORT}. */
const LOWEST_UNPRIVILEGED_PORT = 1_024;
const HIGHEST_PORT = 65_535;
/** Linux's default ephemeral range, for a kernel whose setting cannot be read. */
const DEFAULT_EPHEMERAL = { low: 32_768, high: 60_999 };
/** How many taken ports one call tries before it gives up. */
const ATTEMPTS = 200;
/** The fewest ports a span must hold to be scanned: test files run in parallel. */
const MIN_SPAN = 1_000;

/** Ports from `first` up to, not including, `end`. */
export interface PortSpan {
  readonly first: number;
  readonly end: number;
}

/**
 * Where free ports are looked for, given the kernel's ephemeral range (the
 * text of `/proc/sys/net/ipv4/ip_local_port_range`): outside it, since a
 * port there may be handed out by the kernel, for a bind to port 0 or an
 * outgoing connection, between the moment a test finds it free and the
 * moment its server binds it. Below the range from port 20000 when there is
 * room, else above it, else below it from 1024; a range that leaves no room
 * anywhere is an error that says how to narrow it.
 */
export function portSpanOutside(ephemeralRange: string | undefined): PortSpan {
  const [low = Number.NaN, high = Number.NaN] = (ephemeralRange ?? '')
    .trim()
    .split(/\s+/)
    .map(Number);
  const range =
    Number.isInteger(low) && Number.isInteger(high) && low <= high
      ? { low, high }
      : DEFAULT_EPHEMERAL;
  const candidates: PortSpan[] = [
    { first: LOWEST_PORT, end: range.low },
    { first: range.high + 1, end: HIGHEST_PORT + 1 },
    { first: LOWEST_UNPRIVILEGED_PORT, end: range.low },
  ];
  const span = candidates.find(({ first, end }) => end - first >= MIN_SPAN);
  if (span) return span;
  throw new Error(
    `the kernel's ephemeral port range, ${range.low}-${range.high}, leaves fewer than ${MIN_SPAN} ports ` +
      'outside it for the tests; narrow it, for instance: sysctl -w net.ipv4.ip_local_port_range="32768 60999"',
  );
}

function readEphemeralRange(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
  } catch {
    return undefined;
  }
}

let span: PortSpan | undefined;
/**
 * Each process (and worker thread) scans from its own place in the span, so
 * that test files running in parallel do not pick the same port between one's
 * check and its bind; within one process the scan moves on at every call.
 */
let next = 0;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A TCP port free on 127.0.0.1 at the time of the call, taken outside the
 * kernel's ephemeral range (see {@link portSpanOutside}).
 */
export async function freePort(): Promise<number> {
  if (!span) {
    span = portSpanOutside(readEphemeralRange());
    next = (process.pid * 7_919 + threadId * 104_729) % (span.end - span.first);
  }
  const size = span.end - span.first;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = span.first + next;
    next = (next + 1) % size;
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port among ${ATTEMPTS} tried in ${span.first}-${span.end - 1}`);
}
