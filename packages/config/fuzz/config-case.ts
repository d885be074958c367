// One case of the configuration fuzzer, shared by the script and its smoke
// test: write a configuration file (sometimes two or three) in a directory,
// add SFTPGO_ variables, load, and check that the loader either gives a
// configuration the schema accepts or refuses with a ConfigError that says
// why, writes nothing, pollutes no prototype, and is done within a bound.
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CONFIG_EXTENSIONS,
  ConfigError,
  type ConfigExtension,
  type LoadedConfig,
  loadConfig,
  parseConfig,
} from '@sftpgo/config';
import { type FuzzRandom, fuzzString } from '@sftpgo/test-utils';
import { directoryChanges, loadedProblems, prototypePollution } from './checks.js';
import { type Fixtures, type FuzzDocument, fuzzDocument, readFixtures } from './documents.js';
import { type ConfigKey, configKeys, fuzzEnvironment } from './environment.js';

/**
 * How long one case may take. Loading takes milliseconds, and a second or
 * two for the worst of the 64 KiB files on a busy machine: more is a hang.
 */
export const CASE_LIMIT_MS = 5_000;

export interface ConfigCaseContext {
  /** The directory the cases write their files in, empty between cases. */
  readonly dir: string;
  readonly fixtures: Fixtures;
  readonly keys: readonly ConfigKey[];
}

/** What every case needs, read once per run. */
export async function prepareConfigCases(dir: string): Promise<ConfigCaseContext> {
  const keys = configKeys(parseConfig({}, 'the defaults'));
  return { dir, fixtures: await readFixtures(), keys };
}

/** Names of a configuration file that are odd, but that the file system takes. */
const ODD_NAMES = ['sftpgo.prod', '.', '..', ' ', '-', 'é', '😀', '', 'sftpgo.json', 'SFTPGO.Yaml'];

/** Names loadConfig must refuse: with a directory, a NUL, or too long for the file system. */
const REFUSED_NAMES = ['../sftpgo', 'dir/sftpgo', '/', 'sftp\0go', 'x'.repeat(300)];

function configName(r: FuzzRandom): string {
  const roll = r.int(100);
  if (roll < 85) return 'sftpgo';
  if (roll < 92) return r.pick(ODD_NAMES);
  if (roll < 96) return r.pick(REFUSED_NAMES);
  return fuzzString(r, 12);
}

const isRefused = (name: string) => /[/\0]/.test(name) || Buffer.byteLength(name) > 250;

interface CaseInput {
  readonly name: string;
  /** The files to write, in the order the loader searches them. */
  readonly files: ReadonlyArray<{ extension: ConfigExtension; document: FuzzDocument }>;
  readonly env: NodeJS.ProcessEnv;
}

function fuzzInput(r: FuzzRandom, context: ConfigCaseContext): CaseInput {
  const name = configName(r);
  // Mostly one file; sometimes more, of which the loader reads the first and names the others.
  const extensions = new Set([r.pick(CONFIG_EXTENSIONS)]);
  while (r.chance(0.1)) extensions.add(r.pick(CONFIG_EXTENSIONS));
  const files = isRefused(name)
    ? []
    : CONFIG_EXTENSIONS.filter((e) => extensions.has(e)).map((extension) => ({
        extension,
        document: fuzzDocument(r, extension, context.fixtures),
      }));
  const env = r.chance(0.4) ? fuzzEnvironment(r, context.keys) : {};
  return { name, files, env };
}

/** The input in a few lines: the seed replays it whole. */
function describeInput(input: CaseInput): string {
  const files = input.files.map(
    ({ extension, document }) =>
      `${input.name}.${extension} (${document.kind}): ${JSON.stringify(document.bytes.subarray(0, 200).toString('utf8'))}`,
  );
  return [`name ${JSON.stringify(input.name)}`, ...files, `env ${JSON.stringify(input.env)}`].join(
    '\n  ',
  );
}

type Settled =
  | { readonly status: 'resolved'; readonly value: LoadedConfig }
  | { readonly status: 'rejected'; readonly reason: unknown }
  | { readonly status: 'timed out' };

/** How `promise` settles within `ms`; a promise that never settles is a hang, not a stall of the run. */
async function settleWithin(promise: Promise<LoadedConfig>, ms: number): Promise<Settled> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise.then(
        (value): Settled => ({ status: 'resolved', value }),
        (reason: unknown): Settled => ({ status: 'rejected', reason }),
      ),
      sleep(ms, undefined, { signal: timer.signal }).then((): Settled => ({ status: 'timed out' })),
    ]);
  } finally {
    timer.abort();
  }
}

function outcomeProblems(settled: Settled, input: CaseInput, dir: string): string[] {
  if (settled.status === 'timed out') return [`loadConfig did not settle in ${CASE_LIMIT_MS} ms`];
  if (settled.status === 'rejected') {
    const { reason } = settled;
    if (!(reason instanceof ConfigError)) {
      return [`loadConfig threw what is not a ConfigError: ${(reason as Error)?.stack ?? reason}`];
    }
    return reason.message.trim() === '' ? ['loadConfig threw a ConfigError without a message'] : [];
  }
  if (isRefused(input.name)) return [`the name ${JSON.stringify(input.name)} was accepted`];
  const [read, ...ignored] = input.files.map((f) => join(dir, `${input.name}.${f.extension}`));
  return loadedProblems(settled.value, read, ignored);
}

/** How a case ended when every check held: with a configuration, or with a ConfigError. */
export type CaseOutcome = 'loaded' | 'refused';

/**
 * Runs one case in `context.dir`; throws an Error naming every broken rule
 * and the input.
 */
export async function runConfigCase(
  r: FuzzRandom,
  context: ConfigCaseContext,
): Promise<CaseOutcome> {
  const { dir } = context;
  const input = fuzzInput(r, context);
  // Whatever a failed case left, this one starts from an empty directory.
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true });
  const written = new Map<string, Buffer>();
  for (const { extension, document } of input.files) {
    const name = `${input.name}.${extension}`;
    await writeFile(join(dir, name), document.bytes);
    // As readdir gives it back: a name is stored as UTF-8, where a lone surrogate becomes U+FFFD.
    written.set(Buffer.from(name).toString('utf8'), document.bytes);
  }
  const envBefore = JSON.stringify(Object.entries(input.env));

  const started = performance.now();
  const settled = await settleWithin(loadConfig(dir, input.name, input.env), CASE_LIMIT_MS);
  const elapsed = performance.now() - started;

  const problems = outcomeProblems(settled, input, dir);
  // A case stuck in synchronous code outruns the timer, which fires only after it.
  if (settled.status !== 'timed out' && elapsed > CASE_LIMIT_MS) {
    problems.push(`loadConfig took ${Math.round(elapsed)} ms`);
  }
  problems.push(...prototypePollution().map((p) => `prototype pollution: ${p}`));
  problems.push(...(await directoryChanges(dir, written)).map((c) => `in the directory: ${c}`));
  if (JSON.stringify(Object.entries(input.env)) !== envBefore) problems.push('env was changed');
  if (problems.length > 0) {
    throw new Error(`${problems.join('; ')}\n  ${describeInput(input)}`);
  }
  return settled.status === 'resolved' ? 'loaded' : 'refused';
}
