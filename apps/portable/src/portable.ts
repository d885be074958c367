#!/usr/bin/env node
// The `sftpgo-portable` command, loaded as `sftpgo` is (see the server's
// cli.ts): its code once the young generation is capped.
import 'sftpgo/young-generation';

await import('./portable-command.js');
