import ssh2 from 'ssh2';

/**
 * A password login of the ssh2 library's client to a test server on
 * 127.0.0.1:`port`, ready once it resolves. `options` adds to or overrides
 * the connection settings (a `hostVerifier`, for one).
 */
export async function connectWithPassword(
  port: number,
  username: string,
  password: string,
  options: ssh2.ConnectConfig = {},
): Promise<ssh2.Client> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    // a connection the server closes may fail twice (a reset, then "lost
    // before handshake"): every error of a failed login is its rejection
    client.on('error', reject).once('ready', () => resolve());
    client.connect({
      host: '127.0.0.1',
      port,
      username,
      password,
      readyTimeout: 20_000,
      ...options,
    });
  });
  return client;
}
