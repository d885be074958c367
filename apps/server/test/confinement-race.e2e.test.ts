import { execFileSync } from 'node:child_process';
import {
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import type ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Evidence,
  GID,
  gitEnv,
  type Layout,
  LOCKED_D,
  makeLayout,
  outsideState,
  resetHome,
  restoreTargets,
  secretsInHome,
  swapLinks,
  UID,
} from './confinement-fixture.js';
import {
  hammer,
  type ProgramRun,
  runProgram,
  type SharedConnection,
  type Swapper,
  startSharedConnection,
  startSwapper,
  stopAllPrograms,
  stopAllSwappers,
} from './confinement-processes.js';
import { call, SFTP_OPERATIONS, startSftpSwapper } from './confinement-sftp-ops.js';
import { sshPasswordOptions } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';
import { connectWithPassword } from './ssh2-client.js';

// No path, link or race leads a user out of the home: a directory `d` of the
// home is swapped, as fast as a process (or the user's own second session)
// can, for a link to data outside the home — another user's home, and a
// directory of no user — while every SFTP request, scp, the checksum
// commands, rsync and git are tried on paths through it, thousands of times.
// After each operation nothing outside has changed, and no answer held
// anything of it.

const USER = 'alice';
const PASSWORD = 'alice-password-1';

/**
 * SFTP tries of each operation, and the time they may take at most (about
 * 1 to 3 s are enough on 2 cores): the budgets keep the file under 4 minutes.
 */
const SFTP_TRIES = 2000;
const SFTP_BUDGET_MS = 3500;
const SFTP_CONCURRENCY = 8;
/** Client programs: each try is a process. */
const SCP_TRIES = 240;
const CHECKSUM_RUNS = 150;
const CHECKSUM_NAMES = 10;
const RSYNC_TRIES = 60;
const GIT_TRIES = 90;
const PROGRAM_BUDGET_MS = 15_000;
const PROGRAM_CONCURRENCY = 4;
/** A client program that runs longer is killed: one try, failed. */
const PROGRAM_TIMEOUT_MS = 20_000;

/** Cycles through `choices` with the try number. */
const pick = <T>(choices: readonly T[], i: number): T => choices[i % choices.length] as T;

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  console.warn(
    'skipping the confinement race tests: they need root (users mapped to a uid and gid)',
  );
}
/** git and rsync run only in bubblewrap's sandbox: without it the server refuses to start with them. */
const sandbox = isRoot && hasCommand('bwrap');

/** The decoy's files that the swapper puts back when an operation has removed them. */
const RESTORE: [string, string | null][] = [
  ['secret.txt', 'decoy\n'],
  ['sub', null],
  ['empty', null],
];

describe.runIf(isRoot)('confinement while d is swapped for links out of the home', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let layout: Layout;
  let server: ServerProcess;
  const summary: string[] = [];
  let pristine: Record<string, string[]>;

  beforeAll(async () => {
    tmp = await makeTempDir();
    layout = await makeLayout(tmp.path);
    pristine = await outsideState(layout);
    const configDir = join(tmp.path, 'config');
    await mkdir(configDir);
    let api: string;
    ({ server, api } = await startLoopbackServer(configDir, {
      enabled_ssh_commands: [
        'scp',
        'md5sum',
        'sha256sum',
        ...(sandbox ? ['rsync', 'git-upload-pack', 'git-receive-pack'] : []),
      ],
    }));
    const [, bob] = layout.targets;
    for (const [username, home] of [
      [USER, layout.home],
      ['bob', bob.dir],
    ] as const) {
      await addUser(api, {
        username,
        password: `${username}-password-1`,
        home_dir: home,
        uid: UID,
        gid: GID,
        // rsync is shown /locked empty, and /locked/open bound back
        permissions: { '/': ['*'], '/locked': ['list'], '/locked/open': ['*'] },
      });
    }
  });

  afterAll(async () => {
    stopAllSwappers();
    stopAllPrograms();
    await server?.stop();
    killAllServers();
    await tmp?.remove();
    if (summary.length > 0) console.log(`confinement tries:\n${summary.join('\n')}`);
  });

  /** The state outside, as made: made again if an earlier operation changed it. */
  async function pristineOutside(): Promise<Record<string, string[]>> {
    const now = await outsideState(layout);
    if (isDeepStrictEqual(now, pristine)) return now;
    await restoreTargets(layout);
    pristine = await outsideState(layout);
    return pristine;
  }

  /** Everything found outside the home or in an answer: empty when confined. */
  async function escapes(before: Record<string, string[]>, evidence: Evidence): Promise<string[]> {
    const after = await outsideState(layout);
    const changed: string[] = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const was = new Set(before[key]);
      const now = new Set(after[key]);
      for (const line of was) if (!now.has(line)) changed.push(`${key}: was ${line}`);
      for (const line of now) if (!was.has(line)) changed.push(`${key}: now ${line}`);
    }
    return [...evidence.leaks, ...changed, ...(await secretsInHome(layout))];
  }

  /** Runs the tries of one operation with a swap loop going, and checks the confinement. */
  async function race(
    name: string,
    startSwap: () => Promise<Swapper>,
    run: (evidence: Evidence) => Promise<{ done: number; ok: number; ms: number }>,
  ): Promise<{ done: number; ok: number }> {
    const before = await pristineOutside();
    const evidence = new Evidence(layout);
    const swap = await startSwap();
    let result: { done: number; ok: number; ms: number };
    try {
      result = await run(evidence);
    } finally {
      await swap.stop();
    }
    summary.push(`${name}: ${result.done} tries, ${result.ok} succeeded, ${result.ms} ms`);
    expect(await escapes(before, evidence), name).toEqual([]);
    return result;
  }

  /** The swap of `d` by a process of its own. */
  const swapD = () =>
    startSwapper(join(layout.home, 'd'), swapLinks(layout, join(layout.home, 'd')), RESTORE);

  describe('SFTP requests', () => {
    let attacker: ssh2.Client;
    let mover: ssh2.Client;
    let sftp: ssh2.SFTPWrapper;
    let moverSftp: ssh2.SFTPWrapper;

    async function connect(): Promise<[ssh2.Client, ssh2.SFTPWrapper]> {
      // a test server on loopback, with keys made for this run
      const client = await connectWithPassword(server.sshPort, USER, PASSWORD, {
        hostVerifier: () => true,
      });
      return [client, await call<ssh2.SFTPWrapper>((cb) => client.sftp(cb))];
    }

    beforeAll(async () => {
      [attacker, sftp] = await connect();
      [mover, moverSftp] = await connect();
    });

    afterAll(() => {
      attacker?.end();
      mover?.end();
    });

    it('makes no link that a kernel would follow out of the home', async () => {
      await resetHome(layout);
      const [outside] = layout.targets;
      const targets = [outside.dir, join(outside.dir, 'secret.txt'), '../bob', '../../..', '/'];
      for (const [n, target] of targets.entries()) {
        await call((cb) => sftp.symlink(target, `/link-${n}`, cb)).catch(() => undefined);
        const stored = await readlink(join(layout.home, `link-${n}`)).catch(() => undefined);
        if (stored === undefined) continue;
        const leadsTo = resolve(layout.home, stored);
        const inside = leadsTo === layout.home || leadsTo.startsWith(`${layout.home}/`);
        expect(inside, `${target} made a link to ${stored}`).toBe(true);
      }
    });

    const variants: { name: string; start: () => Promise<Swapper> }[] = [
      { name: 'a process swapping d', start: swapD },
      {
        name: 'a second SFTP session swapping d',
        start: async () => {
          for (const [link, target] of swapLinks(layout, join(layout.home, 'd'))) {
            await symlink(target, link);
          }
          return startSftpSwapper(moverSftp);
        },
      },
    ];

    describe.each(variants)('with $name', (variant) => {
      it.each(SFTP_OPERATIONS.map((op) => [op.name, op] as const))(
        '%s: nothing outside reached',
        async (name, op) => {
          await resetHome(layout, { pool: op.pool ? SFTP_TRIES : 0 });
          const result = await race(`SFTP ${name} (${variant.name})`, variant.start, (evidence) =>
            hammer(SFTP_TRIES, SFTP_BUDGET_MS, SFTP_CONCURRENCY, async (i) => {
              try {
                return await op.attempt(sftp, i, evidence);
              } catch (err) {
                evidence.add((err as Error).message);
                throw err;
              }
            }),
          );
          // the session still works, and the swap was under way
          await call<string>((cb) => sftp.realpath('/', cb));
          if (op.mixed) {
            expect(result.ok).toBeGreaterThan(0);
            expect(result.ok).toBeLessThan(result.done);
          }
        },
      );
    });
  });

  describe.runIf(hasCommand('ssh') && hasCommand('sshpass'))('client programs', () => {
    let shared: SharedConnection;
    /** ssh's options, through the shared connection. */
    let ssh: string[];
    const remote = `${USER}@127.0.0.1`;
    const runs = () => join(layout.local, 'runs');

    beforeAll(async () => {
      shared = await startSharedConnection(
        USER,
        PASSWORD,
        join(tmp.path, 'mux'),
        sshPasswordOptions(server.sshPort),
      );
      ssh = [...shared.options, '-p', String(server.sshPort)];
      const up = join(layout.local, 'up');
      await mkdir(join(up, 'tree'), { recursive: true });
      await writeFile(join(up, 'secret.txt'), 'uploaded\n', { mode: 0o600 });
      await writeFile(join(up, 'new.txt'), 'uploaded\n');
      await writeFile(join(up, 'tree', 'a.txt'), 'uploaded\n');
      // the client's bytes reach the server $RACE_DELAY seconds late
      await writeFile(
        join(tmp.path, 'slow-ssh'),
        // (not a pipeline: rsync waits for its shell, the shell for cat, cat for rsync)
        '#!/bin/bash\nexec ssh "$@" < <(sleep "$RACE_DELAY"; exec cat)\n',
        { mode: 0o755 },
      );
    });

    afterAll(async () => {
      await shared?.stop();
    });

    /** Reads every file below `dir` into the evidence (git's objects left out), then removes it. */
    async function collect(dir: string, evidence: Evidence): Promise<void> {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const path = join(entry.parentPath, entry.name);
        if (!entry.isFile() || relative(dir, path).startsWith('.git/objects')) continue;
        evidence.add(`${relative(dir, path)}: ${await readFile(path)}`);
      }
      await rm(dir, { recursive: true, force: true });
    }

    /** A client run as one try: its output into the evidence; a failure is thrown. */
    async function attempt(
      evidence: Evidence,
      program: string,
      args: readonly string[],
      dest?: string,
      env?: NodeJS.ProcessEnv,
    ): Promise<ProgramRun> {
      const run = await runProgram(program, args, {
        cwd: layout.local,
        env,
        timeoutMs: PROGRAM_TIMEOUT_MS,
      });
      evidence.add(run.stdout);
      evidence.add(run.stderr);
      if (dest) await collect(dest, evidence);
      if (run.code !== 0) throw new Error(`${program} exited with ${run.code}: ${run.stderr}`);
      return run;
    }

    /**
     * Each of the `cases` kinds of try first runs once with `d` left alone,
     * and must work: the tries that fail in the race fail because of it.
     * Then `tries` of them run with the swap going.
     */
    async function programRace(
      name: string,
      tries: number,
      cases: number,
      tryOnce: (i: number, evidence: Evidence) => Promise<unknown>,
      swap: () => Promise<Swapper> = swapD,
    ): Promise<void> {
      const control = new Evidence(layout);
      for (let i = tries; i < tries + cases; i++) await tryOnce(i, control);
      expect(control.leaks).toEqual([]);
      await race(name, swap, (evidence) =>
        hammer(tries, PROGRAM_BUDGET_MS, PROGRAM_CONCURRENCY, (i) => tryOnce(i, evidence)),
      );
    }

    describe.runIf(hasCommand('scp'))('scp -O', () => {
      const scp = (...args: string[]) => [
        '-O',
        ...shared.options,
        '-P',
        String(server.sshPort),
        ...args,
      ];

      it('downloads nothing from outside', async () => {
        await resetHome(layout);
        await mkdir(runs(), { recursive: true });
        await programRace('scp -O download', SCP_TRIES, 3, (i, evidence) => {
          const dest = join(runs(), `scp-${i}`);
          const sources = [
            ['-p', `${remote}:d/secret.txt`],
            ['-r', `${remote}:d`],
            ['-r', '-p', `${remote}:d/sub`],
          ];
          return attempt(evidence, 'scp', scp(...pick(sources, i), dest), dest);
        });
      });

      it('uploads nothing to outside', async () => {
        await resetHome(layout);
        const up = join(layout.local, 'up');
        await programRace('scp -O upload', SCP_TRIES, 4, (i, evidence) => {
          const cases = [
            ['-p', join(up, 'secret.txt'), `${remote}:d/secret.txt`],
            [join(up, 'new.txt'), `${remote}:d/new-${i}.txt`],
            ['-p', join(up, 'new.txt'), `${remote}:d/sub/`],
            ['-r', join(up, 'tree'), `${remote}:d/`],
          ];
          return attempt(evidence, 'scp', scp(...pick(cases, i)));
        });
      });
    });

    it('sha256sum and md5sum answer for no file outside', async () => {
      await resetHome(layout);
      const names = Array.from({ length: CHECKSUM_NAMES }, (_, k) =>
        pick(['d/secret.txt', '/d/secret.txt', 'd/alink', 'd/sub/../secret.txt'], k),
      );
      await programRace('checksums', CHECKSUM_RUNS, 2, (i, evidence) => {
        const command = `${pick(['sha256sum', 'md5sum'], i)} ${names.join(' ')}`;
        return attempt(evidence, 'ssh', [...ssh, remote, command]);
      });
    });

    describe.runIf(sandbox && hasCommand('rsync'))('rsync', () => {
      const rsync = (...args: string[]) => ['-a', '-e', `ssh ${ssh.join(' ')}`, ...args];

      it('copies nothing from or to outside, both ways', async () => {
        await resetHome(layout);
        await mkdir(runs(), { recursive: true });
        const up = join(layout.local, 'up');
        await programRace('rsync', RSYNC_TRIES, 4, (i, evidence) => {
          const dest = join(runs(), `rsync-${i}`);
          const cases = [
            [`${remote}:d/secret.txt`, `${dest}/`],
            [`${remote}:d/`, `${dest}/`],
            [`${up}/`, `${remote}:d/`],
            ['--delete', `${up}/`, `${remote}:d/sub/`],
          ];
          return attempt(evidence, 'rsync', rsync(...pick(cases, i)), i % 4 < 2 ? dest : undefined);
        });
      });

      it('binds no link swapped in for a directory it works in below one it may not see', async () => {
        await resetHome(layout, { locked: true });
        await mkdir(runs(), { recursive: true });
        const entry = join(layout.home, LOCKED_D);
        const up = join(layout.local, 'up');
        await programRace(
          'rsync below a hidden directory',
          RSYNC_TRIES,
          2,
          (i, evidence) => {
            const dest = join(runs(), `rsync-locked-${i}`);
            const cases = [
              [`${remote}:${LOCKED_D}/`, `${dest}/`],
              [`${up}/`, `${remote}:${LOCKED_D}/`],
            ];
            return attempt(evidence, 'rsync', rsync(...pick(cases, i)), dest);
          },
          () => startSwapper(entry, swapLinks(layout, entry), RESTORE),
        );
      });

      it('follows no link swapped in after the path was checked, with the client slowed', async () => {
        const d = join(layout.home, 'd');
        const up = join(layout.local, 'up');
        for (const [link, target] of swapLinks(layout, d)) {
          await resetHome(layout);
          await symlink(target, link);
          const before = await pristineOutside();
          const evidence = new Evidence(layout);
          const dest = join(runs(), 'slow');
          const slow = ['-a', '-e', `${join(tmp.path, 'slow-ssh')} ${ssh.join(' ')}`];
          const env = { ...process.env, RACE_DELAY: '2' };
          // checked at once, used when the client's bytes come: the link is in place by then
          const runsDone = Promise.all([
            runProgram('rsync', [...slow, `${remote}:d/`, `${dest}/`], {
              env,
              timeoutMs: PROGRAM_TIMEOUT_MS,
            }),
            runProgram('rsync', [...slow, `${up}/`, `${remote}:d/`], {
              env,
              timeoutMs: PROGRAM_TIMEOUT_MS,
            }),
          ]);
          await new Promise((r) => setTimeout(r, 1000));
          await rename(d, `${d}.real`);
          await rename(link, d);
          const outcomes: string[] = [];
          for (const run of await runsDone) {
            evidence.add(run.stdout);
            evidence.add(run.stderr);
            outcomes.push(`exit ${run.code} ${run.stderr.split('\n')[0]}`);
          }
          await collect(dest, evidence);
          summary.push(`rsync slowed, link to ${target}: ${outcomes.join('; ')}`);
          expect(await escapes(before, evidence), target).toEqual([]);
        }
      });
    });

    describe.runIf(sandbox && hasCommand('git'))('git', () => {
      let work: string;
      let commits: string[];
      const url = (path: string) => `ssh://${USER}@127.0.0.1:${server.sshPort}/${path}`;
      const gitArgs = (evidence: Evidence, args: string[], dest?: string) =>
        attempt(evidence, 'git', args, dest, {
          ...gitEnv(layout),
          GIT_SSH_COMMAND: `ssh ${shared.options.join(' ')}`,
        });

      beforeAll(async () => {
        // a chain of commits, each pushed once: every push writes new objects
        work = join(layout.local, 'work');
        const env = gitEnv(layout);
        execFileSync('git', ['clone', '-q', join(layout.templates, 'decoy.git'), work], { env });
        for (let k = 0; k < GIT_TRIES + 3; k++) {
          execFileSync('git', ['-C', work, 'commit', '-q', '--allow-empty', '-m', `c-${k}`], {
            env,
          });
        }
        commits = execFileSync('git', ['-C', work, 'rev-list', '--reverse', 'HEAD'], {
          env,
          encoding: 'utf8',
        })
          .trim()
          .split('\n')
          .slice(1);
      });

      it('clones, lists and pushes d/repo.git: never a repository outside', async () => {
        await resetHome(layout, { git: true });
        await mkdir(runs(), { recursive: true });
        await programRace('git, d swapped', GIT_TRIES, 3, (i, evidence) => {
          const dest = join(runs(), `clone-${i}`);
          if (i % 3 === 0) return gitArgs(evidence, ['clone', '-q', url('d/repo.git'), dest], dest);
          if (i % 3 === 1) return gitArgs(evidence, ['ls-remote', url('d/repo.git')]);
          const ref = `${commits[i]}:refs/heads/pushed-${i}`;
          return gitArgs(evidence, ['-C', work, 'push', '-q', url('d/repo.git'), ref]);
        });
      });

      it('pushes and clones r.git while its objects directory is swapped', async () => {
        await resetHome(layout, { git: true });
        await mkdir(runs(), { recursive: true });
        const objects = join(layout.home, 'r.git', 'objects');
        const swapObjects = () =>
          startSwapper(objects, swapLinks(layout, objects, join('repo.git', 'objects')));
        await programRace(
          'git, r.git/objects swapped',
          GIT_TRIES,
          3,
          (i, evidence) => {
            const dest = join(runs(), `clone-${i}`);
            if (i % 3 === 0) return gitArgs(evidence, ['clone', '-q', url('r.git'), dest], dest);
            const ref = `${commits[i]}:refs/heads/pushed-${i}`;
            return gitArgs(evidence, ['-C', work, 'push', '-q', url('r.git'), ref]);
          },
          swapObjects,
        );
      });
    });
  });
});
