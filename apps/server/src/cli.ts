#!/usr/bin/env node
// The `sftpgo` command. Node compiles every module a module imports before
// it runs the first of them, so the commands are loaded only once V8's
// collector is set up for a server: see gc-settings.ts.
import './gc-settings.js';

await import('./commands.js');
