import { type FuzzRandom, fuzzString, mutateBytes } from '@sftpgo/test-utils';
import { parseScpCommand, type ScpOptions, ScpUsageError } from '../src/index.js';

// Command lines as an exec request brings them, already split into words:
// well-formed ones, near misses, and words damaged byte by byte.

const PROGRAMS = ['scp', '/usr/bin/scp', 'bin/scp', '/scp', 'SCP', 'scpx', 'sftp', '', 'scp '];
/** The flags parseScpCommand knows, and a few it must refuse. */
const FLAGS = 'rpdvqrpdvqtf';
const OTHER_FLAGS = 'OSPilc-3 \0é';
const PATHS = [
  '/uploads',
  'uploads',
  '.',
  '~',
  '~/x',
  '/',
  '..',
  '../../etc/passwd',
  '-',
  '--',
  '-t',
  '',
  'a b',
  'nul\0byte',
  'x'.repeat(5000),
];

function flagWord(r: FuzzRandom): string {
  const roll = r.int(10);
  if (roll === 0) return '--';
  if (roll === 1) return '-';
  let word = '-';
  for (let n = 1 + r.int(4); n > 0; n--) {
    word += r.chance(0.9) ? FLAGS[r.int(FLAGS.length)] : OTHER_FLAGS[r.int(OTHER_FLAGS.length)];
  }
  return word;
}

function pathWord(r: FuzzRandom): string {
  return r.chance(0.6) ? r.pick(PATHS) : fuzzString(r, 30);
}

/** A command line built from its parts: program, flags, then paths. */
function composedCommand(r: FuzzRandom): string[] {
  const argv = [r.chance(0.8) ? r.pick(PROGRAMS.slice(0, 2)) : r.pick(PROGRAMS)];
  for (let n = r.int(4); n > 0; n--) argv.push(flagWord(r));
  // Most commands name their side once, as clients do; the rest test the parser's refusals.
  if (r.chance(0.7)) argv.splice(1 + r.int(argv.length), 0, r.pick(['-t', '-f', '-rt', '-prf']));
  for (let n = r.int(4); n > 0; n--) argv.push(pathWord(r));
  // Flags after a path are paths: the parser must not read them as flags.
  if (r.chance(0.1)) argv.push(flagWord(r));
  return argv;
}

/** A command line with its bytes damaged: words merged, split, cut or changed. */
function damagedCommand(r: FuzzRandom): string[] {
  const text = composedCommand(r).join(' ');
  return mutateBytes(r, Buffer.from(text)).toString('utf8').split(' ');
}

/** A random command line: composed, damaged, or an edge (empty, program only). */
export function fuzzCommandLine(r: FuzzRandom): string[] {
  const roll = r.int(20);
  if (roll === 0) return [];
  if (roll === 1) return [r.pick(PROGRAMS)];
  return roll < 14 ? composedCommand(r) : damagedCommand(r);
}

/**
 * Parses `argv` and checks the contract of parseScpCommand: it returns
 * options that describe a server-side command, or returns an ScpUsageError;
 * it never throws (sftpd's caller only tests what it returns). Returns the
 * options, or undefined for a refused command line; throws on a violation.
 */
export function checkCommandLine(argv: readonly string[]): ScpOptions | undefined {
  let parsed: ScpOptions | ScpUsageError;
  try {
    parsed = parseScpCommand(argv);
  } catch (err) {
    throw new Error(`parseScpCommand(${JSON.stringify(argv)}) threw: ${String(err)}`);
  }
  if (parsed instanceof ScpUsageError) {
    if (parsed.message === '') throw new Error(`empty usage error for ${JSON.stringify(argv)}`);
    return undefined;
  }
  const problem = optionsProblem(argv, parsed);
  if (problem) throw new Error(`parseScpCommand(${JSON.stringify(argv)}): ${problem}`);
  return parsed;
}

function optionsProblem(argv: readonly string[], options: ScpOptions): string | undefined {
  const program = argv[0] ?? '';
  if (program !== 'scp' && !program.endsWith('/scp')) return `accepted program ${program}`;
  if (options.mode !== 'sink' && options.mode !== 'source') return `mode ${options.mode}`;
  if (options.paths.length === 0) return 'no paths';
  if (options.mode === 'sink' && options.paths.length !== 1) return 'several sink targets';
  // The paths are the last words, as given: none made up, none reordered.
  const tail = argv.slice(argv.length - options.paths.length);
  if (tail.some((word, i) => word !== options.paths[i])) return 'paths not the last words';
  return undefined;
}
