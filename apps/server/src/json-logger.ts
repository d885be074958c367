import type { Logger } from '@sftpgo/sftpd';

/** Writes each log entry as one JSON line, with a millisecond timestamp. */
export function createJsonLogger(out: NodeJS.WritableStream): Logger {
  return {
    log({ level, sender, ...fields }) {
      out.write(
        `${JSON.stringify({ level, time: new Date().toISOString(), sender, ...fields })}\n`,
      );
    },
  };
}
