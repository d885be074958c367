import { join } from 'node:path';
import { type FuzzRandom, fuzzString, mutateBytes } from '@sftpgo/test-utils';
import type { ScpOptions } from '../src/index.js';
import { type CaseDir, ROOT_ENTRIES } from './case-dir.js';

// What a client sends: the paths of its command, the records and data of an
// upload (`scp -t`), the answers to a download (`scp -f`). Most of it is
// well-formed, so that the engine gets deep into a transfer before the
// hostile part arrives.

/** Paths that lead out of the root when resolved on the host, or that no Fs accepts. */
function hostilePaths(dir: CaseDir): string[] {
  return [
    '/',
    '~',
    '~/',
    '.',
    '..',
    '../sentinel',
    '../sentinel/keep',
    '/../sentinel/keep',
    '../../..',
    'dir/../../sentinel',
    dir.sentinel,
    join(dir.sentinel, 'keep'),
    join(dir.path, 'escaped'),
    '/link-out',
    '/link-out/keep',
    '/link-abs/keep',
    '/link-out/planted',
    '/missing/deep/x',
    'dir//sub/../a',
    'nul\0byte',
    '',
    'x'.repeat(5000),
    '/dir'.repeat(1200),
  ];
}

/** A path for the command: an entry of the root, a hostile path, or noise. */
function fuzzPath(r: FuzzRandom, dir: CaseDir): string {
  const roll = r.int(20);
  if (roll < 10) return r.pick(['', '/', '~/']) + r.pick(ROOT_ENTRIES);
  if (roll < 17) return r.pick(hostilePaths(dir));
  return fuzzString(r, 30);
}

/** Options of one transfer in `mode`: its paths aim at the root's entries and past them. */
export function fuzzOptions(r: FuzzRandom, mode: 'sink' | 'source', dir: CaseDir): ScpOptions {
  const count = mode === 'sink' ? 1 : 1 + r.int(3);
  return {
    mode,
    recursive: r.chance(0.7),
    preserve: r.chance(0.4),
    targetIsDirectory: r.chance(0.15),
    verbose: r.chance(0.1),
    quiet: r.chance(0.1),
    paths: Array.from({ length: count }, () => fuzzPath(r, dir)),
  };
}

const MODES = ['0644', '0755', '0600', '0640', '0777', '0000'];
const BAD_MODES = ['7777', '4755', '0888', '064', '06444', 'abcd', '', ' 644', '-644'];
const BAD_SIZES = ['9007199254740991', '9007199254740992', '1'.repeat(30), '-1', '', '0x10', ' 5'];

const NAMES = [
  'a',
  'b.txt',
  'new',
  'sub',
  'name with spaces',
  '-rf',
  'é',
  '😀',
  // entries that exist already, in the target or the root
  'existing.txt',
  'file',
  'dir',
  'target',
  'link-out',
  'link-abs',
  'link-file',
  'link-dir',
  'dangling',
];

function hostileNames(dir: CaseDir): string[] {
  return [
    '..',
    '.',
    '',
    '/',
    '//',
    '/etc/passwd',
    '../x',
    '../../escaped',
    '../sentinel/planted',
    'a/b',
    'a\\b',
    '..\\x',
    'nul\0byte',
    '~',
    '~/x',
    'C0644 1 x',
    '\r',
    'x'.repeat(255),
    'x'.repeat(256),
    'x'.repeat(4096),
    // longer than a record may be
    'x'.repeat(5000),
    join(dir.path, 'escaped'),
    join(dir.sentinel, 'planted'),
  ];
}

/** A name for a header; `hostile` when the engine is expected to refuse it. */
function entryName(r: FuzzRandom, dir: CaseDir): { name: Buffer; hostile: boolean } {
  const roll = r.int(20);
  if (roll < 12) return { name: Buffer.from(r.pick(NAMES)), hostile: false };
  if (roll < 18) return { name: Buffer.from(r.pick(hostileNames(dir))), hostile: true };
  if (roll === 18) return { name: Buffer.from([0x61, 0xff, 0xfe]), hostile: true }; // not UTF-8
  return { name: Buffer.from(fuzzString(r, 30)), hostile: false };
}

function modeText(r: FuzzRandom): string {
  if (r.chance(0.93)) return r.pick(MODES);
  return r.chance(0.5) ? r.pick(BAD_MODES) : String(r.int(8000)).padStart(4, '0');
}

function timesRecord(r: FuzzRandom): string {
  if (r.chance(0.93)) return `T${r.int(2e9)} ${r.int(1e6)} ${r.int(2e9)} ${r.int(1e6)}\n`;
  return r.pick([
    'T1 2 3\n',
    'T99999999999999999999 0 1 0\n',
    `T${'9'.repeat(21)} 0 1 0\n`,
    'T-1 0 0 0\n',
    'T1 1000000 1 0\n',
    'T\n',
    'T1 0 1 0 extra\n',
  ]);
}

function fileData(r: FuzzRandom): Buffer {
  const roll = r.int(100);
  if (roll < 20) return Buffer.alloc(0);
  if (roll < 60) return Buffer.from('hello');
  // Several chunks of the engine's reads: rare, it costs time.
  if (roll === 99) return Buffer.alloc(300 * 1024 + r.int(100), 0x7a);
  return r.bytes(1 + r.int(100));
}

/** What follows a file's data: the client's status byte, or what stands in its place. */
function dataStatus(r: FuzzRandom): string {
  if (r.chance(0.92)) return '\0';
  return r.pick(['\x01scp: client read error\n', '\x02scp: client gives up\n', 'x', '\x01cut', '']);
}

function fileRecords(r: FuzzRandom, dir: CaseDir, out: Buffer[]): void {
  if (r.chance(0.3)) out.push(Buffer.from(timesRecord(r)));
  let data = fileData(r);
  const size = r.chance(0.95) ? String(data.length) : r.pick(BAD_SIZES);
  const { name, hostile } = entryName(r, dir);
  out.push(Buffer.from(`C${modeText(r)} ${size} `), name, Buffer.from('\n'));
  // A client sends nothing after a refused header; some send the data anyway.
  if (hostile && r.chance(0.7)) return;
  // The data may come short or long of the size announced.
  if (r.chance(0.04)) data = data.subarray(0, r.int(data.length + 1));
  if (r.chance(0.02)) data = Buffer.concat([data, r.bytes(1 + r.int(8))]);
  out.push(data, Buffer.from(dataStatus(r)));
}

function directoryRecords(r: FuzzRandom, dir: CaseDir, depth: number, out: Buffer[]): void {
  if (r.chance(0.3)) out.push(Buffer.from(timesRecord(r)));
  out.push(Buffer.from(`D${modeText(r)} ${r.chance(0.95) ? '0' : r.pick(BAD_SIZES)} `));
  const { name, hostile } = entryName(r, dir);
  out.push(name, Buffer.from('\n'));
  // A client does not enter a directory that was refused; some send its contents anyway.
  if (hostile && r.chance(0.7)) return;
  records(r, dir, depth + 1, out);
  if (r.chance(0.9)) out.push(Buffer.from('E\n'));
}

/** Records that are not files or directories: stray ends, errors, noise. */
function strayRecord(r: FuzzRandom): Buffer {
  switch (r.int(7)) {
    case 0:
      return Buffer.from('E\n');
    case 1:
      return Buffer.from(`\x01${fuzzString(r)}\n`);
    case 2:
      return Buffer.from(`\x02${fuzzString(r)}\n`);
    case 3:
      return Buffer.from(timesRecord(r));
    case 4:
      return Buffer.from(`${fuzzString(r)}\n`);
    case 5:
      return Buffer.from('\n');
    default:
      return r.bytes(1 + r.int(32));
  }
}

function records(r: FuzzRandom, dir: CaseDir, depth: number, out: Buffer[]): void {
  const count = depth === 0 ? 1 + r.int(6) : r.int(4);
  for (let i = 0; i < count; i++) {
    const roll = r.int(10);
    if (roll < 6) fileRecords(r, dir, out);
    else if (roll < 9 && depth < 3) directoryRecords(r, dir, depth, out);
    else out.push(strayRecord(r));
  }
}

/** What a client uploading with `scp -t` sends: records and data, sometimes damaged. */
export function sinkInput(r: FuzzRandom, dir: CaseDir): Buffer {
  const out: Buffer[] = [];
  records(r, dir, 0, out);
  const input = Buffer.concat(out);
  return r.chance(0.2) ? mutateBytes(r, input) : input;
}

function sourceReply(r: FuzzRandom): Buffer {
  if (r.chance(0.75)) return Buffer.from([0]);
  switch (r.int(6)) {
    case 0:
      return Buffer.from('\x01scp: cannot write\n');
    case 1:
      return Buffer.from('\x02scp: client gives up\n');
    case 2:
      // an error message longer than a record may be
      return Buffer.from(`\x01${'x'.repeat(5000)}\n`);
    case 3:
      return Buffer.from('\x01no newline');
    case 4:
      return Buffer.from(fuzzString(r, 8));
    default:
      return r.bytes(1);
  }
}

/** What a client downloading with `scp -f` sends: its ready byte, then its answers. */
export function sourceInput(r: FuzzRandom): Buffer {
  const out = [r.chance(0.9) ? Buffer.from([0]) : sourceReply(r)];
  for (let n = r.int(60); n > 0; n--) out.push(sourceReply(r));
  const input = Buffer.concat(out);
  return r.chance(0.15) ? mutateBytes(r, input) : input;
}
