import type { User } from '@sftpgo/provider';
import { type Fs, OsFs } from '@sftpgo/vfs';
import { AtomicUploadFs, type UploadMode } from './atomic-upload-fs.js';
import { DirectoryPermissions } from './directory-permissions.js';
import { OwnershipFs } from './ownership-fs.js';
import { PolicyFs } from './policy-fs.js';
import { QuotaFs, type QuotaStore, type QuotaTracking } from './quota-fs.js';
import type { ActiveTransfer, SessionContext, SessionEvent } from './session-events.js';
import { IgnoreSetStatFs, type SetStatMode } from './setstat-mode-fs.js';
import { OpensStatOnceFs, StatOnceFs } from './stat-once-fs.js';
import { ThrottledFs } from './throttled-fs.js';
import { TransferFs } from './transfer-fs.js';
import type { UploadJournal } from './upload-journal.js';

/** The server-wide settings that shape every user's filesystem. */
export interface SessionFsOptions {
  readonly uploadMode: UploadMode;
  /** Where uploads in `uploadMode` 1 and 2 are noted while they run; none when absent. */
  readonly uploadJournal?: UploadJournal | undefined;
  readonly setstatMode: SetStatMode;
  readonly quotaTracking: QuotaTracking;
}

/**
 * A user's storage as one of their sessions sees it, through the layers of
 * the session policy, from the outside in: permissions, ignored attribute
 * changes (`setstat_mode` 1, and mode and owner where the storage keeps
 * none), events and live transfers, quota, bandwidth, ownership of what is
 * created (when running as root and the storage has owners), and the upload
 * mode (skipped in mode 0 and where uploads are atomic already). The layers
 * ask the storage what it can do rather than assume a disk, and an open
 * looks at its target once however many layers ask (on an object store,
 * each look is a request). SFTP and SCP go through it; the SSH commands
 * that read the disk or run a program on it (checksums, rsync, git) check
 * permissions and quota themselves (see ssh-commands/). `storage` must follow no link itself (an
 * `OsFs` made with `followLinks: false`): the permissions are checked on
 * resolved paths, and a link swapped in afterwards must fail, not lead on.
 */
export function sessionFs(
  storage: Fs,
  user: User,
  options: SessionFsOptions,
  services: {
    readonly quotaStore: QuotaStore;
    readonly context: SessionContext;
    readonly emit: (event: SessionEvent) => void;
    /** The protocol answers a close once it has settled (SFTP): see {@link TransferFs}. */
    readonly endsAfterReply?: boolean;
  },
): { fs: Fs; transfers: ReadonlySet<ActiveTransfer> } {
  const looks = new StatOnceFs(storage);
  const can = storage.capabilities;
  const journal = options.uploadJournal;
  let fs: Fs =
    can.atomicUploads || options.uploadMode === 0
      ? looks
      : new AtomicUploadFs(
          looks,
          options.uploadMode,
          journal && { journal, username: user.username },
        );
  if (can.ownership && OwnershipFs.applies(user)) {
    fs = new OwnershipFs(fs, { uid: user.uid, gid: user.gid });
  }
  if (ThrottledFs.applies(user)) {
    fs = new ThrottledFs(fs, { upload: user.upload_bandwidth, download: user.download_bandwidth });
  }
  if (QuotaFs.applies(options.quotaTracking, user)) {
    fs = new QuotaFs(fs, services.quotaStore, user);
  }
  const events = new TransferFs(fs, services.context, services.emit, services.endsAfterReply);
  const ignored = IgnoreSetStatFs.ignoredBy(storage, options.setstatMode);
  fs = ignored ? new IgnoreSetStatFs(events, ignored) : events;
  return {
    fs: new OpensStatOnceFs(
      new PolicyFs(fs, new DirectoryPermissions(user.permissions), {
        // on a local disk, where an open tried as named saves a walk; an
        // object store would pay a request for the exclusive create
        linksRefused: storage instanceof OsFs && !storage.followsLinks,
      }),
      looks,
    ),
    transfers: events.active,
  };
}
