// Bundles the `sftpgo-portable` command into bundle/, as the `sftpgo`
// package is bundled.
import { bundleApp } from '../../server/scripts/bundle-app.mjs';

await bundleApp(new URL('../', import.meta.url), ['src/portable.ts']);
