import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '@sftpgo/config';
import type { DataProvider } from '@sftpgo/provider';
import { FileUploadJournal, type Logger, recoverUploads, type StorageOpener } from '@sftpgo/sftpd';

/** The journal's folder in the config dir: atomic uploads under way, one note each. */
export const UPLOAD_JOURNAL_DIR = 'uploads-in-progress';

/**
 * The journal of atomic uploads of this process, when `upload_mode` asks for
 * them (1 or 2); none in mode 0, where an upload writes its path in place.
 */
export function uploadJournalOf(config: Config, configDir: string): FileUploadJournal | undefined {
  return config.sftpd.upload_mode === 0
    ? undefined
    : new FileUploadJournal(join(configDir, UPLOAD_JOURNAL_DIR));
}

/** What finishing the uploads of a dead process needs of the server. */
export interface UploadRecoveryParts {
  readonly config: Config;
  readonly configDir: string;
  readonly provider: DataProvider;
  readonly openStorage: StorageOpener;
  readonly logger: Logger;
}

/**
 * Finishes the atomic uploads that a killed process left under way, `owner`
 * (a pid) or every one when absent, as a cut upload is finished, and logs
 * each. Runs at start in any upload mode: the previous run may have had
 * another.
 */
export async function finishLeftUploads(parts: UploadRecoveryParts, owner?: string): Promise<void> {
  const dir = join(parts.configDir, UPLOAD_JOURNAL_DIR);
  if (!existsSync(dir)) return;
  const journal = new FileUploadJournal(dir);
  const recovered = await recoverUploads(
    {
      journal,
      openStorage: parts.openStorage,
      quotaStore: parts.provider,
      quotaTracking: parts.config.data_provider.track_quota,
    },
    owner,
  );
  for (const r of recovered) {
    const what = `upload of ${JSON.stringify(r.target)} for ${JSON.stringify(r.username)}, left by a stopped process`;
    const done = {
      removed: `${what}: its temporary file removed`,
      published: `${what}: kept at its path, to be resumed`,
      gone: `${what}: nothing left to finish`,
      failed: `${what}: not finished: ${r.error}`,
    }[r.outcome];
    parts.logger.log({
      level: r.outcome === 'failed' ? 'error' : 'info',
      sender: 'sftpd',
      message: done,
    });
  }
}
