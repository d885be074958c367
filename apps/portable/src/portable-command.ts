// `sftpgo-portable [flags]`: the same share as `sftpgo portable [flags]`, as
// a command of its own.
import { portableOptions, runPortable } from 'sftpgo/portable';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

process.title = ['sftpgo-portable', ...hideBin(process.argv)].join(' ');

const cli = portableOptions(yargs(hideBin(process.argv)))
  .scriptName('sftpgo-portable')
  .usage(
    'Share a directory over SFTP on demand. To serve the current working directory with auto generated credentials simply use:\n\n  sftpgo-portable\n\nUsage:\n  $0 [flags]',
  )
  .parserConfiguration({ 'duplicate-arguments-array': false })
  .updateStrings({ 'Options:': 'Flags:' })
  .strict()
  .version(false)
  .help()
  .alias('help', 'h')
  .fail((message, err, y) => {
    if (err) {
      process.stderr.write(`sftpgo-portable: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${y.help()}\n\n${message}\n`);
    process.exit(2);
  });
await runPortable(await cli.parseAsync());
