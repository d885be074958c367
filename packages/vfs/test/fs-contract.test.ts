import { makeTempDir } from '@sftpgo/test-utils';
import { MemoryFs, OsFs } from '@sftpgo/vfs';
import { describeFsContract } from './fs-contract.js';

// Every backend passes the same suite; a new one adds its line here.
describeFsContract('local disk (OsFs)', async () => {
  const tmp = await makeTempDir();
  const fs = await OsFs.create(`${tmp.path}/root`);
  return {
    fs,
    async dispose() {
      await fs.close();
      await tmp.remove();
    },
  };
});

describeFsContract('in memory (MemoryFs)', async () => ({
  fs: new MemoryFs(),
  dispose: async () => {},
}));
