import {
  type FileHandle,
  ForwardingFileHandle,
  ForwardingFs,
  type OpenFlags,
  type SetStat,
} from '@sftpgo/vfs';

/** The spec's `setstat_mode`: 0 applies attribute changes, 1 ignores them. */
export type SetStatMode = 0 | 1;

/** Only the size: what remains of a change once mode, owner and times are ignored. */
function sizeOnly(attrs: SetStat): SetStat | undefined {
  return attrs.size === undefined ? undefined : { size: attrs.size };
}

class SizeOnlyFile extends ForwardingFileHandle {
  override async setstat(attrs: SetStat): Promise<void> {
    const kept = sizeOnly(attrs);
    if (kept) await this.inner.setstat(kept);
  }
}

/**
 * `setstat_mode` 1: changes of mode, owner and times succeed without doing
 * anything, for clients whose `chmod` after an upload would break a workflow.
 * A change of size (truncation) still applies.
 */
export class IgnoreSetStatFs extends ForwardingFs {
  override async setstat(
    path: string,
    attrs: SetStat,
    options: { followLinks: boolean },
  ): Promise<void> {
    const kept = sizeOnly(attrs);
    if (kept) await this.inner.setstat(path, kept, options);
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    return new SizeOnlyFile(await this.inner.open(path, flags, mode));
  }
}
