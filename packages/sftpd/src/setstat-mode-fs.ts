import {
  type FileHandle,
  ForwardingFileHandle,
  ForwardingFs,
  type Fs,
  type OpenFlags,
  type SetStat,
} from '@sftpgo/vfs';

/** The spec's `setstat_mode`: 0 applies attribute changes, 1 ignores them. */
export type SetStatMode = 0 | 1;

/** The attributes whose changes succeed without doing anything. */
export interface IgnoredAttributes {
  readonly mode?: boolean;
  readonly owner?: boolean;
  readonly times?: boolean;
}

/** What remains of `attrs` once the ignored attributes are taken out; undefined when nothing. */
function kept(attrs: SetStat, ignored: IgnoredAttributes): SetStat | undefined {
  const { size, mode, uid, gid, atimeMs, mtimeMs } = attrs;
  // set one by one: spreads of objects into a literal take V8's slow path
  const left: { -readonly [K in keyof SetStat]: SetStat[K] } = {};
  if (size !== undefined) left.size = size;
  if (!ignored.mode && mode !== undefined) left.mode = mode;
  if (!ignored.owner && uid !== undefined) left.uid = uid;
  if (!ignored.owner && gid !== undefined) left.gid = gid;
  if (!ignored.times && atimeMs !== undefined) left.atimeMs = atimeMs;
  if (!ignored.times && mtimeMs !== undefined) left.mtimeMs = mtimeMs;
  return Object.keys(left).length > 0 ? left : undefined;
}

class IgnoringFile extends ForwardingFileHandle {
  readonly #ignored: IgnoredAttributes;

  constructor(inner: FileHandle, ignored: IgnoredAttributes) {
    super(inner);
    this.#ignored = ignored;
  }

  override async setstat(attrs: SetStat): Promise<void> {
    const left = kept(attrs, this.#ignored);
    if (left) await this.inner.setstat(left);
  }
}

/**
 * Changes of some attributes succeed without doing anything: all but the
 * size with `setstat_mode` 1, for clients whose `chmod` after an upload
 * would break a workflow; mode and owner on a storage that keeps none (an
 * object store), as the spec has it. A change of size (truncation) is
 * always passed on.
 */
export class IgnoreSetStatFs extends ForwardingFs {
  readonly #ignored: IgnoredAttributes;

  constructor(fs: Fs, ignored: IgnoredAttributes = { mode: true, owner: true, times: true }) {
    super(fs);
    this.#ignored = ignored;
  }

  /** What a storage ignores under `setstatMode`: undefined when it applies every change. */
  static ignoredBy(fs: Fs, setstatMode: SetStatMode): IgnoredAttributes | undefined {
    if (setstatMode === 1) return { mode: true, owner: true, times: true };
    const { permissions, ownership } = fs.capabilities;
    if (permissions && ownership) return undefined;
    return { mode: !permissions, owner: !ownership };
  }

  override async setstat(
    path: string,
    attrs: SetStat,
    options: { followLinks: boolean },
  ): Promise<void> {
    const left = kept(attrs, this.#ignored);
    if (left) await this.inner.setstat(path, left, options);
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    return new IgnoringFile(await this.inner.open(path, flags, mode), this.#ignored);
  }
}
