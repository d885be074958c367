// An SSH worker process of `sftpgo serve`, loaded as the command is: see cli.ts.
import '../gc-settings.js';

await import('./worker.js');
