#!/usr/bin/env node
// The `sftpgo` command. Node compiles every module a module imports before
// it runs the first of them, so the commands are loaded only once the young
// generation is capped: see young-generation.ts.
import './young-generation.js';

await import('./commands.js');
