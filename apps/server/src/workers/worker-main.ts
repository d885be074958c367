// An SSH worker process of `sftpgo serve`, loaded as the command is: see cli.ts.
import '../young-generation.js';

await import('./worker.js');
