import { parseScpCommand, runScp, ScpUsageError } from '@sftpgo/scp';
import type { SftpServerOptions } from '@sftpgo/sftpd';

/** Serves `scp -t` and `scp -f` on a session's files, with the scp engine. */
export const runScpCommand: NonNullable<SftpServerOptions['runScp']> = async (
  argv,
  channel,
  fs,
) => {
  const options = parseScpCommand(argv);
  if (options instanceof ScpUsageError) {
    channel.stderr.write(`${options.message}\n`);
    return 1;
  }
  const outcome = await runScp(
    options,
    // an SSH channel copies each chunk into packets before it calls back
    { input: channel, output: channel, stderr: channel.stderr, outputCopies: true },
    fs,
  );
  return outcome.exitCode;
};
