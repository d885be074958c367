#!/usr/bin/env -S node --v8-pool-size=1
// The `sftpgo` command. Node compiles every module a module imports before
// it runs the first of them, so the commands are loaded only once V8's
// collector is set up for a server: see gc-settings.ts.
//
// One thread for V8's background work (`--v8-pool-size=1`, which only the
// command line can set): the collector runs on the main thread already
// (gc-settings.ts), and what is left, compiling hot functions, is done
// once. Each of V8's threads keeps a malloc arena of its own, at 1.3 to
// 1.7 MiB after some work: with the default four, large transfers peaked
// 4 to 10 MiB higher (docs/performance-server.md).
import './gc-settings.js';

await import('./commands.js');
