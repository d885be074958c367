import type { FuzzRandom } from '@sftpgo/test-utils';
import { OsFs } from '@sftpgo/vfs';
import type { ScpOptions } from '../src/index.js';
import { type CaseDir, escapes, makeCaseDir, removeCaseDir, snapshot } from './case-dir.js';
import { checkCommandLine, fuzzCommandLine } from './command-lines.js';
import { planDelivery } from './delivery.js';
import { openDescriptors } from './descriptors.js';
import { exchange } from './exchange.js';
import { processFaults, watchProcessFaults } from './process-faults.js';
import { fuzzOptions, sinkInput, sourceInput } from './scp-inputs.js';

// One fuzz case of the scp engine: a command line through parseScpCommand,
// then one transfer, upload or download, against a fresh confined root.

export interface ScpCaseSettings {
  /** How long runScp may take to settle (default 5 s). */
  readonly timeoutMs?: number;
}

/**
 * Runs one case drawn from `r`; throws, listing every problem and the input
 * that caused it, when the engine crashed, hung, answered out of contract,
 * touched or showed anything outside the root, or left a descriptor open.
 */
export async function runScpCase(r: FuzzRandom, settings: ScpCaseSettings = {}): Promise<void> {
  watchProcessFaults();
  const faultsBefore = processFaults().count;
  const parsed = checkCommandLine(fuzzCommandLine(r));
  const descriptorsBefore = openDescriptors();
  const { problems, input } = await runTransfer(r, parsed, settings.timeoutMs ?? 5000);
  const descriptorsAfter = openDescriptors();
  if (descriptorsAfter !== descriptorsBefore) {
    problems.push(`descriptors open: ${descriptorsBefore} before, ${descriptorsAfter} after`);
  }
  // A rejection nobody handled is reported after the microtasks: let it come
  // while this case is the one that caused it.
  await new Promise((resolve) => setImmediate(resolve));
  const faults = processFaults();
  if (faults.count > faultsBefore) {
    const last = faults.last;
    problems.push(`uncaught: ${last instanceof Error ? last.stack : String(last)}`);
  }
  if (problems.length > 0) throw new Error(`${problems.join('; ')}; ${input}`);
}

/** Runs one transfer in a fresh case directory: the problems found, and the input described. */
async function runTransfer(
  r: FuzzRandom,
  parsed: ScpOptions | undefined,
  timeoutMs: number,
): Promise<{ problems: string[]; input: string }> {
  const mode = r.chance(0.5) ? 'sink' : 'source';
  const dir = await makeCaseDir(r.chance(0.03));
  try {
    // The command line fuzzed above, when it parsed, or paths aimed at this root.
    const options = parsed?.mode === mode && r.chance(0.3) ? parsed : fuzzOptions(r, mode, dir);
    const input = mode === 'sink' ? sinkInput(r, dir) : sourceInput(r);
    const plan = planDelivery(r, input);
    const withStderr = r.chance(0.5);
    const slowClient = r.chance(0.3);

    const sentinelBefore = await snapshot(dir.sentinel);
    const rootBefore = mode === 'source' ? await snapshot(dir.root) : undefined;
    const fs = await OsFs.create(dir.root);
    let problems: string[];
    try {
      const marker = dir.marker;
      problems = await exchange({ options, plan, fs, marker, withStderr, slowClient, timeoutMs });
    } finally {
      await fs.close();
    }
    problems.push(...(await escapes(dir, sentinelBefore)));
    if (rootBefore && (await snapshot(dir.root)).join('\n') !== rootBefore.join('\n')) {
      problems.push('a download changed the root');
    }
    return { problems, input: describeInput(dir, options, input) };
  } finally {
    await removeCaseDir(dir);
  }
}

function describeInput(dir: CaseDir, options: ScpOptions, input: Buffer): string {
  const shown = JSON.stringify(input.subarray(0, 400).toString('latin1'));
  return `case dir ${dir.path}, options ${JSON.stringify(options)}, input of ${input.length} bytes ${shown}`;
}
