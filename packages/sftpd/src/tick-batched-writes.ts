import type { Socket } from 'node:net';

/**
 * Makes everything written to `socket` during one run of JavaScript leave in
 * one system call: the first write corks the socket, and it is uncorked once
 * the current callback and the promise jobs it started are done, before the
 * event loop waits again. Nothing is held back longer than that.
 *
 * ssh2 writes each SSH packet on its own, and with Nagle off every write
 * is a system call and a TCP segment: a read served from a 256 KiB block
 * becomes eight replies, each one or two packets. OpenSSH writes what it has
 * buffered in one go.
 */
export function batchWritesPerTick(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function batchedWrite(this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked) {
      corked = true;
      this.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as Socket['write'];
}
