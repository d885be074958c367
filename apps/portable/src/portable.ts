#!/usr/bin/env -S node --v8-pool-size=1
// The `sftpgo-portable` command, started and loaded as `sftpgo` is (see the
// server's cli.ts): one thread for V8's background work, and its code once
// V8's collector is set up for a server.
import 'sftpgo/gc-settings';

await import('./portable-command.js');
