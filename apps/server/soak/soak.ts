/**
 * The soak run (`pnpm soak`): many SFTP and SCP sessions over real SSH
 * against `sftpgo serve`, for minutes to hours, with REST API calls, metric
 * scrapes and refused logins beside them. Reports operations and errors per
 * kind, their latency, the server's event-loop delay, CPU and memory over
 * time, and what the store holds afterwards. Exits 1 on any error.
 *
 *   pnpm soak [--sessions 500] [--minutes 10 | --seconds 60]
 *             [--provider sqlite|postgresql] [--scp-share 0.05] [--json FILE]
 *
 * PostgreSQL is reached at SFTPGO_TEST_POSTGRES_URL, where the run makes a
 * database of its own and drops it at the end.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { machineTicks } from '../../../bench/proc-stats.js';
import { gitDescribe, machine } from '../../../bench/run-info.js';
import { type Scrapes, sideLoad } from './api-load.js';
import { ResourceSampler, rssAfterWarmUp } from './resource-samples.js';
import { scpSession } from './scp-session.js';
import { sftpSession } from './sftp-session.js';
import { formatReport, type SoakReport } from './soak-report.js';
import { type SoakProvider, startSoakServer } from './soak-server.js';
import { storeCheck } from './store-check.js';
import { Tally } from './tally.js';

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '500' },
    minutes: { type: 'string' },
    seconds: { type: 'string' },
    provider: { type: 'string', default: 'sqlite' },
    'scp-share': { type: 'string', default: '0.05' },
    json: { type: 'string' },
  },
});

function positive(name: string, value: string | undefined, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`soak: --${name} must be a positive number, not ${value}`);
    process.exit(2);
  }
  return n;
}

const sessions = Math.round(positive('sessions', args.sessions, 500));
const seconds = args.seconds
  ? positive('seconds', args.seconds, 60)
  : positive('minutes', args.minutes, 10) * 60;
const scpShare = Number(args['scp-share']);
if (!(scpShare >= 0 && scpShare <= 1)) {
  console.error('soak: --scp-share must be between 0 and 1');
  process.exit(2);
}
if (args.provider !== 'sqlite' && args.provider !== 'postgresql') {
  console.error(`soak: --provider must be sqlite or postgresql, not ${args.provider}`);
  process.exit(2);
}
const provider: SoakProvider = args.provider;
const scpSessions = scpShare === 0 ? 0 : Math.max(1, Math.round(sessions * scpShare));
const sftpSessions = sessions - scpSessions;
/** Time between two logins of the ramp, so that key exchanges do not all start at once. */
const RAMP_STEP_MS = 20;
const SAMPLE_MS = 5_000;
const PROGRESS_MS = 30_000;

// Ctrl-C runs the exit handlers that stop the server by its PID.
process.once('SIGINT', () => process.exit(130));

const dir = await mkdtemp(join(tmpdir(), 'sftpgo-soak-'));
console.log(
  `soak: ${sftpSessions} SFTP and ${scpSessions} SCP sessions for ${seconds} s on ${provider}`,
);
const server = await startSoakServer(dir, provider);
let report: Omit<SoakReport, 'serverExit'> | undefined;
let serverExit = 'not stopped';
try {
  const tally = new Tally((kind, message) => console.error(`soak: ${kind}: ${message}`));
  const scrapes: Scrapes = { eventLoopP99Ms: [] };
  const sampler = await ResourceSampler.start(server.pid, SAMPLE_MS);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const running = () => performance.now() < deadline;
  const generatorCpu = process.cpuUsage();
  const ticksAtStart = await machineTicks();
  const progress = setInterval(() => {
    const last = sampler.last;
    console.log(
      `soak: ${Math.round((performance.now() - started) / 1000)} s, ${tally.operations} operations, ` +
        `${tally.errors} errors, server RSS ${last ? Math.round(last.rssMiB) : '?'} MiB`,
    );
  }, PROGRESS_MS);

  const { loaded, closed } = server.users;
  const target = { port: server.sshPort, privateKey: server.users.privateKey };
  const loadedTarget = { ...target, username: loaded };
  const work: Promise<unknown>[] = [
    sideLoad(server.api, loadedTarget, { ...target, username: closed }, tally, running, scrapes),
  ];
  const scpRoot = join(dir, 'scp-client');
  for (let i = 0; i < sessions && running(); i++) {
    if (i < scpSessions) {
      const local = join(scpRoot, String(i));
      await mkdir(local, { recursive: true });
      const scpTarget = { port: server.sshPort, username: loaded, keyFile: server.users.keyFile };
      work.push(scpSession(scpTarget, local, `/scp-${i}.bin`, tally, running));
    } else {
      work.push(sftpSession(loadedTarget, `/s${i}`, tally, running));
    }
    await sleep(RAMP_STEP_MS);
  }
  await Promise.all(work);
  clearInterval(progress);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(generatorCpu);
  const ticks = await machineTicks();
  await sampler.stop();
  const store = await storeCheck(server.api, loaded, join(server.home, loaded));
  report = {
    machine: machine(),
    code: gitDescribe(),
    provider,
    sftpSessions,
    scpSessions,
    seconds: elapsed,
    kinds: tally.figures(),
    operations: tally.operations,
    errors: tally.errors,
    eventLoopP99Ms: scrapes.eventLoopP99Ms,
    samples: sampler.samples,
    rss: rssAfterWarmUp(sampler.samples, elapsed),
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    machineBusyPercent:
      ((ticks.busy - ticksAtStart.busy) / (ticks.total - ticksAtStart.total)) * 100,
    store,
  };
} finally {
  serverExit = await server.stop();
}
const final: SoakReport = { ...report!, serverExit };
console.log(formatReport(final));
if (args.json) await writeFile(args.json, `${JSON.stringify(final, null, 2)}\n`);
await rm(dir, { recursive: true, force: true });
process.exit(
  final.errors === 0 && final.store.problems.length === 0 && final.serverExit === 'exit 0' ? 0 : 1,
);
