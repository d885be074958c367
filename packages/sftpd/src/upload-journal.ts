import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { User } from '@sftpgo/provider';
import { DEFAULT_MAX_IN_FLIGHT, MAX_PACKET_LENGTH } from '@sftpgo/sftp-protocol';
import { type Fs, VfsError } from '@sftpgo/vfs';
import { QuotaFs, type QuotaStore, type QuotaTracking } from './quota-fs.js';

/** An atomic upload under way: its temporary file and where it goes. */
export interface PendingUpload {
  readonly username: string;
  /** Paths as the user's storage names them. */
  readonly temporary: string;
  readonly target: string;
  /** `upload_mode` 2: a cut upload is renamed onto its target, to be resumed. */
  readonly keepCut: boolean;
}

/**
 * Where atomic uploads (`upload_mode` 1 and 2) are noted while they run, so
 * that those a killed process left behind are finished at the next start:
 * their temporary files removed, or in mode 2 renamed onto their targets.
 */
export interface UploadJournal {
  /** Notes an upload that begins; what it returns is given to {@link end}. */
  begin(upload: PendingUpload): string;
  end(id: string): void;
}

/**
 * An {@link UploadJournal} in a directory: one small file per upload under
 * way, named by the process that runs it, removed when the upload ends.
 * Written with blocking calls: a few microseconds on a local disk, where a
 * lost note would leave a temporary file forever.
 */
export class FileUploadJournal implements UploadJournal {
  readonly #dir: string;
  readonly #owner: string;

  /** `owner` names the process in the notes' names: its pid by default. */
  constructor(dir: string, owner = String(process.pid)) {
    this.#dir = dir;
    this.#owner = owner;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  begin(upload: PendingUpload): string {
    const id = `${this.#owner}-${randomBytes(8).toString('hex')}.json`;
    writeFileSync(join(this.#dir, id), JSON.stringify(upload), { mode: 0o600 });
    return id;
  }

  end(id: string): void {
    try {
      unlinkSync(join(this.#dir, id));
    } catch {
      // already gone: nothing to finish
    }
  }

  /** The uploads that `owner` (every process when absent) left under way, with their notes' ids. */
  pending(owner?: string): { readonly id: string; readonly upload: PendingUpload }[] {
    const prefix = owner === undefined ? '' : `${owner}-`;
    const found: { id: string; upload: PendingUpload }[] = [];
    for (const id of readdirSync(this.#dir)) {
      if (!id.endsWith('.json') || !id.startsWith(prefix)) continue;
      try {
        found.push({ id, upload: JSON.parse(readFileSync(join(this.#dir, id), 'utf8')) });
      } catch {
        this.end(id); // unreadable: written halfway when the process died, before its upload began
      }
    }
    return found;
  }
}

/**
 * The bytes at the end of an SFTP upload that a process dying mid-way may
 * leave with gaps: a session serves up to {@link DEFAULT_MAX_IN_FLIGHT}
 * writes at once (the sessions of `session-channels.ts` are told so), each
 * of at most a packet, and they complete in any order, so a write further
 * on may be on disk and one before it not. Every write before these was
 * complete when the last one began.
 */
export const UNSETTLED_WRITE_BYTES = DEFAULT_MAX_IN_FLIGHT * MAX_PACKET_LENGTH;

/** What finishing the uploads a dead process left needs. */
export interface UploadRecovery {
  readonly journal: FileUploadJournal;
  /** The user's storage, as a session opens it. */
  readonly openStorage: (user: User) => Promise<Fs>;
  readonly quotaStore: QuotaStore;
  readonly quotaTracking: QuotaTracking;
  /**
   * Bytes cut from the end of a part kept for a resume (mode 2), which
   * writes under way when the process died may have left with gaps:
   * {@link UNSETTLED_WRITE_BYTES} by default.
   */
  readonly unsettledBytes?: number;
}

/** How one upload left behind was finished. */
export interface RecoveredUpload extends PendingUpload {
  readonly outcome: 'removed' | 'published' | 'gone' | 'failed';
  readonly error?: string;
}

/**
 * Finishes the atomic uploads that `owner` (every process when absent) left
 * under way, as a cut upload is finished: the temporary file removed (mode
 * 1), or renamed onto its target (mode 2) with the user's quota counting
 * it, once cut to the part surely written whole (see
 * {@link UploadRecovery.unsettledBytes}): a client resumes from the size it
 * finds. Each is done through the user's storage, confined to the home.
 */
export async function recoverUploads(
  recovery: UploadRecovery,
  owner?: string,
): Promise<RecoveredUpload[]> {
  const done: RecoveredUpload[] = [];
  for (const { id, upload } of recovery.journal.pending(owner)) {
    try {
      done.push({ ...upload, outcome: await finish(recovery, upload) });
    } catch (err) {
      done.push({ ...upload, outcome: 'failed', error: (err as Error).message });
    }
    recovery.journal.end(id);
  }
  return done;
}

async function finish(
  recovery: UploadRecovery,
  upload: PendingUpload,
): Promise<RecoveredUpload['outcome']> {
  const user = await recovery.quotaStore.getUserByUsername(upload.username);
  if (!user) return 'gone';
  const fs = await recovery.openStorage(user);
  const sizeOf = (path: string) =>
    fs.lstat(path).then(
      (st) => st.size,
      (err: unknown) => {
        if (err instanceof VfsError && err.code === 'not-found') return undefined;
        throw err;
      },
    );
  const written = await sizeOf(upload.temporary);
  if (written === undefined) return 'gone';
  if (!upload.keepCut) {
    await fs.remove(upload.temporary);
    return 'removed';
  }
  const kept = Math.max(0, written - (recovery.unsettledBytes ?? UNSETTLED_WRITE_BYTES));
  if (kept < written) await fs.setstat(upload.temporary, { size: kept }, { followLinks: false });
  const replaced = await sizeOf(upload.target);
  await fs.rename(upload.temporary, upload.target);
  if (QuotaFs.applies(recovery.quotaTracking, user)) {
    await recovery.quotaStore.updateQuota(upload.username, {
      sizeDelta: kept - (replaced ?? 0),
      filesDelta: replaced === undefined ? 1 : 0,
    });
  }
  return 'published';
}
