// Bundles the `sftpgo` and `sftpgo-sftp-server` commands into bundle/ (see
// bundle-app.mjs), with the web admin's default files beside them.
import { cpSync } from 'node:fs';
import { bundleApp } from './bundle-app.mjs';

const root = new URL('../', import.meta.url);
const outdir = await bundleApp(root, [
  'src/cli.ts',
  'src/sftp-server-stdio.ts',
  // forked by `sftpgo serve` for sftpd.workers, from beside the command
  { in: 'src/workers/worker-main.ts', out: 'worker-main' },
]);
// The web admin's default templates and static files, which @sftpgo/api
// looks for beside the bundle.
cpSync(new URL('../../packages/api/web/', root), new URL('web/', outdir), { recursive: true });
