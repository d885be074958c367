#!/usr/bin/env node
// The `sftpgo-portable` command, loaded as `sftpgo` is (see the server's
// cli.ts): its code once V8's collector is set up for a server.
import 'sftpgo/gc-settings';

await import('./portable-command.js');
