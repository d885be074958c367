import { networkInterfaces } from 'node:os';
import { Bonjour } from 'bonjour-service';

/** An SFTP service advertised on the local network. */
export interface Advertisement {
  /** Sends the goodbye that withdraws the record, then stops answering. */
  withdraw(): Promise<void>;
}

/** How long the start waits to learn whether multicast works. */
const START_TIMEOUT_MS = 3000;

/**
 * Advertises `_sftp-ssh._tcp` on every interface by multicast DNS, as the
 * reference's portable mode does: the instance `SFTPGo portable <port>`,
 * with `txt` as its TXT record. Rejects when multicast cannot be used.
 */
export async function advertiseSftp(
  port: number,
  txt: Readonly<Record<string, string>>,
): Promise<Advertisement> {
  // multicast DNS is sent on the IPv4 interfaces that reach a network; loopback reaches none
  const reachable = Object.values(networkInterfaces())
    .flat()
    .some((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
  if (!reachable) throw new Error('no network interface but loopback');
  // the library reports socket errors through this callback, at any time
  let fail: (err: unknown) => void = () => {};
  const bonjour = new Bonjour({}, (err: unknown) => fail(err));
  try {
    await new Promise<void>((resolve, reject) => {
      fail = reject;
      const timer = setTimeout(
        () => reject(new Error('no answer from the network in 3 s')),
        START_TIMEOUT_MS,
      );
      timer.unref();
      const service = bonjour.publish({
        name: `SFTPGo portable ${port}`,
        type: 'sftp-ssh',
        protocol: 'tcp',
        port,
        txt: { ...txt },
      });
      service.on('up', () => {
        clearTimeout(timer);
        resolve();
      });
      service.on('error', reject);
    });
  } catch (err) {
    bonjour.destroy();
    throw err;
  }
  return {
    withdraw: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          bonjour.destroy();
          resolve();
        };
        // the goodbye packets are sent before the callback; a stuck socket cannot hold the exit
        const timer = setTimeout(done, 2000);
        bonjour.unpublishAll(() => {
          clearTimeout(timer);
          done();
        });
      }),
  };
}
