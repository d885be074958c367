import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import type { ConnectionRegistry } from '@sftpgo/api';
import type { Config } from '@sftpgo/config';
import type { AccountSecrets, DataProvider } from '@sftpgo/provider';
import type { Logger, StorageOpener } from '@sftpgo/sftpd';
import type { Metrics } from './metrics.js';
import { createSshService, defenderOptions } from './ssh-service.js';
import { finishLeftUploads, uploadJournalOf } from './upload-recovery.js';
import { userStorages } from './user-storages.js';
import { WorkerPool } from './workers/worker-pool.js';

/**
 * The memory that uploads to S3 and Google Cloud Storage buffer, all
 * sessions of the server together: past it, a new upload waits for one to
 * end rather than exhaust the server's memory.
 */
const OBJECT_UPLOAD_MEMORY = 1024 * 1024 * 1024;

export interface SshStart {
  readonly config: Config;
  readonly configDir: string;
  readonly logger: Logger;
  readonly provider: DataProvider;
  readonly secrets: AccountSecrets;
  readonly metrics: Metrics;
  readonly hostKeys: readonly Buffer[];
  readonly loginBanner: string | undefined;
}

/** The SSH service started, in this process or spread over workers. */
export interface StartedSsh {
  readonly address: AddressInfo;
  /** Its live connections, for the REST API and the metrics. */
  readonly registry: ConnectionRegistry;
  /** The storages of the users, for what the REST API does on them (quota scans). */
  readonly openStorage: StorageOpener;
  /** Stops accepting and closes the connections, transfers given the grace time. */
  close(): Promise<void>;
}

/** The worker processes that `sftpd.workers` asks for: 0 is one per core. */
export function workerCount(config: Config): number {
  return config.sftpd.workers === 0 ? availableParallelism() : config.sftpd.workers;
}

/**
 * Starts the SSH service: in this process with `sftpd.workers` 1, over
 * worker processes otherwise (each with its own handle on the provider),
 * listening on the configured address either way.
 */
export async function startSsh(start: SshStart): Promise<StartedSsh> {
  const { config, logger, metrics } = start;
  const graceMs = config.sftpd.grace_time * 1000;
  const workers = workerCount(config);
  const openStorage = userStorages({
    secrets: start.secrets,
    uploadMemoryBytes: OBJECT_UPLOAD_MEMORY,
    events: metrics.objectStores,
  });
  const recovery = { ...start, openStorage };
  // what a killed server left: uploads noted as under way
  await finishLeftUploads(recovery);
  if (workers === 1) {
    const uploadJournal = uploadJournalOf(config, start.configDir);
    const { sftp, actions } = createSshService({
      ...start,
      openStorage,
      ...(uploadJournal ? { uploadJournal } : {}),
    });
    const address = await sftp.listen(config.sftpd.bind_port, config.sftpd.bind_address);
    return {
      address,
      registry: sftp,
      openStorage,
      close: async () => {
        await sftp.close({ graceMs });
        await actions.idle();
      },
    };
  }
  const pool = new WorkerPool({
    size: workers,
    setup: {
      config,
      configDir: start.configDir,
      hostKeys: start.hostKeys,
      loginBanner: start.loginBanner,
      uploadMemoryBytes: Math.floor(OBJECT_UPLOAD_MEMORY / workers),
    },
    logger,
    metrics,
    onWorkerDied: (pid) => finishLeftUploads(recovery, String(pid)),
    ...(config.sftpd.defender.enabled ? { defender: defenderOptions(config.sftpd.defender) } : {}),
  });
  await pool.start();
  logger.log({
    level: 'info',
    sender: 'sftpd',
    message: `SSH connections served by ${workers} worker processes, pids ${pool.pids.join(', ')}`,
  });
  try {
    const address = await pool.listen(config.sftpd.bind_port, config.sftpd.bind_address);
    return { address, registry: pool, openStorage, close: () => pool.close({ graceMs }) };
  } catch (err) {
    await pool.close({ graceMs: 0 });
    throw err;
  }
}
