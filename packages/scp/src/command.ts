/** What the remote `scp` command was asked to do. */
export interface ScpOptions {
  /** `sink` (`-t`): receive files into `paths[0]`; `source` (`-f`): send `paths`. */
  readonly mode: 'sink' | 'source';
  /** `-r`: directories are copied with their contents. */
  readonly recursive: boolean;
  /** `-p`: modification and access times and modes are kept. */
  readonly preserve: boolean;
  /** `-d`: the sink's target must be a directory. */
  readonly targetIsDirectory: boolean;
  /** `-v`, accepted and otherwise ignored. */
  readonly verbose: boolean;
  /** `-q`, accepted and otherwise ignored. */
  readonly quiet: boolean;
  /** Paths within the user's filesystem, as the client sent them: one target for `-t`, sources for `-f`. */
  readonly paths: readonly string[];
}

/** A command line that is not a server-side `scp` invocation. */
export class ScpUsageError extends Error {
  override readonly name = 'ScpUsageError';
}

/**
 * Parses the words of a server-side scp command, the program name first:
 * `scp [-r] [-p] [-d] [-v] [-q] -t|-f [--] path...`. Flags may be combined
 * (`-prt`). Returns the options, or a {@link ScpUsageError} telling what is wrong.
 *
 * @example
 * parseScpCommand(['scp', '-r', '-t', '--', '/uploads']);
 * // { mode: 'sink', recursive: true, paths: ['/uploads'], ... }
 */
export function parseScpCommand(argv: readonly string[]): ScpOptions | ScpUsageError {
  const [program, ...args] = argv;
  if (program === undefined || (program !== 'scp' && !program.endsWith('/scp'))) {
    return new ScpUsageError('scp: not an scp command');
  }
  let recursive = false;
  let preserve = false;
  let targetIsDirectory = false;
  let verbose = false;
  let quiet = false;
  let to = false;
  let from = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    for (const flag of arg.slice(1)) {
      switch (flag) {
        case 'r':
          recursive = true;
          break;
        case 'p':
          preserve = true;
          break;
        case 'd':
          targetIsDirectory = true;
          break;
        case 'v':
          verbose = true;
          break;
        case 'q':
          quiet = true;
          break;
        case 't':
          to = true;
          break;
        case 'f':
          from = true;
          break;
        default:
          return new ScpUsageError(`scp: unsupported option -- ${flag}`);
      }
    }
  }
  const paths = args.slice(i);
  if (to && from) return new ScpUsageError('scp: -t and -f cannot be used together');
  if (!to && !from) return new ScpUsageError('scp: only the server side (-t or -f) is supported');
  if (paths.length === 0) return new ScpUsageError('scp: no path given');
  if (to && paths.length > 1) return new ScpUsageError('scp: ambiguous target');
  return {
    mode: to ? 'sink' : 'source',
    recursive,
    preserve,
    targetIsDirectory,
    verbose,
    quiet,
    paths,
  };
}
