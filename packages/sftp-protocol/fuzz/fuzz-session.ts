/**
 * Fuzzes the SFTP engine: feeds random and damaged packets through many
 * SftpSession instances over in-memory duplexes, and checks that no exception
 * reaches the process, that every session answers what it must or ends, and
 * that the heap stays bounded. Run it with `pnpm fuzz`.
 *
 * Settings: the packet count is the first argument or FUZZ_PACKETS (default
 * 1,000,000); FUZZ_SEED replays a run, and a failing session's seed replays
 * that session first; FUZZ_MAX_HEAP_MIB is the heap bound (default 512).
 * Exits 1 on any crash, failed session or heap past the bound.
 */
import fc from 'fast-check';
import { sessionInputArb } from './arbitraries.js';
import { runSession } from './session-harness.js';

const MIB = 1024 * 1024;
const total = Number(process.argv[2] ?? process.env.FUZZ_PACKETS ?? 1_000_000);
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const maxHeapMiB = Number(process.env.FUZZ_MAX_HEAP_MIB ?? 512);
const REPORTED = 10;

// Without the condition, the package resolves to a possibly stale dist/.
if (!import.meta.resolve('@sftpgo/sftp-protocol').endsWith('/src/index.ts')) {
  console.error('fuzz: run with --conditions=@sftpgo/source (pnpm fuzz) to test the sources');
  process.exit(2);
}

let crashes = 0;
function crash(err: unknown): void {
  crashes++;
  if (crashes <= REPORTED) console.error('fuzz: crash:', err);
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

const arb = sessionInputArb('large');
const started = performance.now();
let packets = 0;
let sessions = 0;
let failed = 0;
let maxHeap = 0;
let nextProgress = total / 10;

while (packets < total) {
  const sessionSeed = (seed + sessions) | 0;
  const [input] = fc.sample(arb, { numRuns: 1, seed: sessionSeed });
  try {
    const { problems } = await runSession(input!.chunks, { sessionOptions: input!.options });
    if (problems.length > 0 && ++failed <= REPORTED) {
      console.error(`fuzz: session seed ${sessionSeed}: ${problems.join('; ')}`);
    }
  } catch (err) {
    // The engine's stream listeners threw into the client's write: on a
    // socket that would be an uncaught exception.
    crash(err);
  }
  packets += input!.frames;
  sessions++;
  maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
  if (packets >= nextProgress) {
    console.error(`fuzz: ${packets} packets…`);
    nextProgress += total / 10;
  }
}

// Let a late rejection surface before counting.
await new Promise((resolve) => setTimeout(resolve, 100));
const heapMiB = Math.round(maxHeap / MIB);
const seconds = Math.round((performance.now() - started) / 1000);
console.log(
  `fuzz: ${packets} packets, ${sessions} sessions, ${crashes} crashes, ${failed} failed sessions, ` +
    `max heap ${heapMiB} MiB, ${seconds} s (seed ${seed})`,
);
if (heapMiB > maxHeapMiB) console.error(`fuzz: heap past ${maxHeapMiB} MiB`);
process.exitCode = crashes > 0 || failed > 0 || heapMiB > maxHeapMiB ? 1 : 0;
