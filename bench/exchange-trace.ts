// Splits the time of request-reply traffic between an OpenSSH client and the
// servers, exchange by exchange, from a trace of read and write system calls
// (what `perf trace -a -e read,write -o FILE` writes while the clients run).
//   tsx bench/exchange-trace.ts [--servers sftpgo,sshd] [--client ssh] FILE
//
// An exchange: the client writes a request to its socket, a server process
// reads it, the same process writes the reply, and the client writes its
// next request. Summed per server command name, the time is cut in three:
// waking the server (client's write to server's read), the server's work
// (its read to the end of its reply's write) and the client's turn (the
// reply to the client's next write). Tracing slows every system call:
// read the shares and the comparison, not the absolute times.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './report.js';

/** One completed read or write, as `perf trace` prints it. */
interface Call {
  readonly start: number;
  readonly end: number;
  readonly comm: string;
  readonly pid: number;
  readonly op: 'read' | 'write';
  readonly fd: number;
  readonly bytes: number;
}

// "  1664.143 ( 0.048 ms): sftpgo/17346 read(fd: 25, buf: 0x…, count: 65536)   = 68"
const LINE =
  /^\s*([\d.]+) \(\s*([\d.]+) ms\): (.+)\/(\d+) (read|write)\(fd: (\d+),.*\)\s+= (-?\d+)/;
// a call split by another one: its start, then "... [continued]: read()) = N"
const STARTED = /^\s*([\d.]+) \(\s*\): (.+)\/(\d+) (read|write)\(fd: (\d+),/;
const CONTINUED =
  /^\s*([\d.]+) \(\s*([\d.]+) ms\): (.+)\/(\d+)\s+\.\.\. \[continued\]: (read|write)\(\)\)\s+= (-?\d+)/;

/** A call from the fields of its line, as strings. */
function callOf(
  start: string,
  took: string,
  comm: string,
  pid: string,
  op: string,
  fd: number,
  bytes: string,
): Call {
  return {
    start: Number(start),
    end: Number(start) + Number(took),
    comm,
    pid: Number(pid),
    op: op as Call['op'],
    fd,
    bytes: Number(bytes),
  };
}

/** The calls of a trace, in the order they started; times in milliseconds. */
export function parseCalls(text: string): Call[] {
  const calls: Call[] = [];
  const pending = new Map<string, number>();
  for (const line of text.split('\n')) {
    let m = LINE.exec(line);
    if (m) {
      const [, start, took, comm, pid, op, fd, bytes] = m;
      calls.push(callOf(start!, took!, comm!, pid!, op!, Number(fd), bytes!));
      continue;
    }
    m = STARTED.exec(line);
    if (m) {
      pending.set(`${m[3]} ${m[4]}`, Number(m[5]));
      continue;
    }
    m = CONTINUED.exec(line);
    if (m) {
      const [, start, took, comm, pid, op, bytes] = m;
      const fd = pending.get(`${pid} ${op}`);
      if (fd === undefined) continue;
      pending.delete(`${pid} ${op}`);
      calls.push(callOf(start!, took!, comm!, pid!, op!, fd, bytes!));
    }
  }
  return calls.sort((a, b) => a.start - b.start);
}

/**
 * Each process's socket: of the descriptors it both reads and writes (a
 * pipe goes one way), the busiest.
 */
function sockets(calls: readonly Call[]): Map<number, number> {
  const counts = new Map<number, Map<number, { reads: number; writes: number }>>();
  for (const c of calls) {
    const byFd = counts.get(c.pid) ?? new Map<number, { reads: number; writes: number }>();
    counts.set(c.pid, byFd);
    const n = byFd.get(c.fd) ?? { reads: 0, writes: 0 };
    byFd.set(c.fd, n);
    if (c.op === 'read') n.reads++;
    else n.writes++;
  }
  const result = new Map<number, number>();
  for (const [pid, byFd] of counts) {
    let best: [number, number] | undefined;
    for (const [fd, { reads, writes }] of byFd) {
      if (reads === 0 || writes === 0) continue;
      if (!best || reads + writes > best[1]) best = [fd, reads + writes];
    }
    if (best) result.set(pid, best[0]);
  }
  return result;
}

export interface ExchangeTimes {
  readonly server: string;
  readonly exchanges: number;
  /** Milliseconds summed over the exchanges. */
  readonly wake: number;
  readonly work: number;
  readonly clientTurn: number;
  /** The server's work per exchange, in microseconds. */
  readonly workMedian: number;
  readonly workP90: number;
}

/** The sums of one server's exchanges. */
interface Sums {
  wake: number;
  work: number;
  clientTurn: number;
  /** Each exchange's work, in microseconds. */
  readonly works: number[];
}

/** The exchanges of the trace, summed per server command name. */
export function exchangeTimes(
  calls: readonly Call[],
  servers: readonly string[],
  client: string,
): ExchangeTimes[] {
  const socketOf = sockets(calls);
  const sums = new Map<string, Sums>(
    servers.map((s) => [s, { wake: 0, work: 0, clientTurn: 0, works: [] }]),
  );
  let state: 'idle' | 'sent' | 'read' | 'replied' = 'idle';
  let since = 0;
  // the process that read the request, whose write is the reply
  let serving: { readonly pid: number; readonly sums: Sums } | undefined;
  for (const c of calls) {
    if (socketOf.get(c.pid) !== c.fd) continue;
    if (c.comm === client && c.op === 'write') {
      if (state === 'replied' && serving) serving.sums.clientTurn += c.start - since;
      state = 'sent';
      since = c.end;
      continue;
    }
    const server = sums.get(c.comm);
    if (state === 'sent' && server && c.op === 'read' && c.bytes > 0) {
      serving = { pid: c.pid, sums: server };
      server.wake += c.start - since;
      state = 'read';
      since = c.start;
    } else if (state === 'read' && serving?.pid === c.pid && c.op === 'write') {
      serving.sums.work += c.end - since;
      serving.sums.works.push((c.end - since) * 1000);
      state = 'replied';
      since = c.end;
    }
  }
  return servers.map((s) => {
    const { wake, work, clientTurn, works } = sums.get(s)!;
    const sorted = [...works].sort((a, b) => a - b);
    return {
      server: s,
      exchanges: works.length,
      wake,
      work,
      clientTurn,
      workMedian: works.length ? median(works) : 0,
      workP90: sorted[Math.floor((sorted.length - 1) * 0.9)] ?? 0,
    };
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      servers: { type: 'string', default: 'sftpgo,sshd' },
      client: { type: 'string', default: 'ssh' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    process.stderr.write(
      'usage: tsx bench/exchange-trace.ts [--servers sftpgo,sshd] [--client ssh] FILE\n',
    );
    process.exit(2);
  }
  const calls = parseCalls(await readFile(positionals[0]!, 'utf8'));
  const rows = exchangeTimes(calls, values.servers.split(','), values.client);
  process.stdout.write(
    'server     exchanges  wake ms  work ms  client ms  work median µs  work p90 µs\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.server.padEnd(10)} ${String(r.exchanges).padStart(9)} ${r.wake.toFixed(0).padStart(8)} ${r.work.toFixed(0).padStart(8)} ${r.clientTurn.toFixed(0).padStart(10)} ${r.workMedian.toFixed(0).padStart(15)} ${r.workP90.toFixed(0).padStart(12)}\n`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
