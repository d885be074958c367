import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyPassword } from '@sftpgo/auth';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import { type LogEntry, SftpServer } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExternalAuth } from '../src/external-auth.js';
import { LoginError } from '../src/login.js';
import { connectClient, hostKey, migrationsDir, rsaPrivateKey, writeScript } from './fixtures.js';

const SAMPLE = fileURLToPath(new URL('./fixtures/external-auth-sample.sh', import.meta.url));

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
const servers: SftpServer[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await provider?.close();
  await tmp.remove();
});

async function start(program: string, scope: number, logs: LogEntry[] = []) {
  const server = new SftpServer({
    hostKeys: [hostKey],
    users: provider,
    externalAuth: { program, scope },
    logger: { log: (e) => logs.push(e) },
  });
  servers.push(server);
  return (await server.listen(0, '127.0.0.1')).port;
}

async function login(port: number, config: ssh2.ConnectConfig): Promise<void> {
  (await connectClient(port, config)).end();
}

const script = (body: string) => writeScript(tmp.path, body);

describe('external authentication', () => {
  it("runs the spec's sample program: test_user with any password, stored in the provider", async () => {
    const logs: LogEntry[] = [];
    const port = await start(SAMPLE, 0, logs);
    await login(port, { username: 'test_user', password: 'whatever' });
    const stored = await provider.getUserByUsername('test_user');
    expect(stored).toMatchObject({ home_dir: '/tmp/test_user', quota_files: 100000 });
    expect(stored?.permissions).toEqual({ '/': ['*'], '/somedir': ['list', 'download'] });
    expect(await verifyPassword('whatever', stored!.password)).toBe(true);
    await expect(login(port, { username: 'other', password: 'x' })).rejects.toThrow(
      /authentication methods failed/,
    );
    expect(logs).toContainEqual(
      expect.objectContaining({
        sender: 'connection_failed',
        username: 'other',
        error: 'external authentication refused',
      }),
    );
  });

  it('leaves the methods outside its scope to the provider', async () => {
    const port = await start(SAMPLE, 2);
    await expect(
      login(port, { username: 'test_user', password: 'not-the-stored-one' }),
    ).rejects.toThrow(/authentication methods failed/);
  });

  it('passes the offered public key and stores it with the user', async () => {
    const program = await script(
      `[ -n "$SFTPGO_AUTHD_PUBLIC_KEY" ] || { echo '{"username":""}'; exit 0; }
echo "{\\"username\\":\\"$SFTPGO_AUTHD_USERNAME\\",\\"home_dir\\":\\"/tmp/ext\\",\\"permissions\\":{\\"/\\":[\\"*\\"]},\\"public_keys\\":[]}"`,
    );
    const port = await start(program, 2);
    const privateKey = rsaPrivateKey();
    await login(port, { username: 'keyholder', privateKey });
    const stored = await provider.getUserByUsername('keyholder');
    const expected = (ssh2.utils.parseKey(privateKey) as ssh2.ParsedKey)
      .getPublicSSH()
      .toString('base64');
    expect(stored?.public_keys).toEqual([`ssh-rsa ${expected}`]);
  });

  it('refuses cleanly when the program misbehaves', async () => {
    const request = { username: 'u', password: 'p' };
    await expect(runExternalAuth(await script('echo not json'), request)).rejects.toThrow(/JSON/);
    await expect(runExternalAuth(await script('exit 2'), request)).rejects.toThrow(
      'external authentication: exit status 2',
    );
    await expect(
      runExternalAuth(await script('echo \'{"username":"someone-else"}\''), request),
    ).rejects.toThrow(/another user/);
    const started = Date.now();
    await expect(runExternalAuth(await script('sleep 30'), request, 300)).rejects.toThrow(
      /no answer in 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a valid user printed by a program that then fails or is killed', async () => {
    const user = `echo '{"username":"ext-fail","home_dir":"/tmp/ext-fail","permissions":{"/":["*"]}}'`;
    const logs: LogEntry[] = [];
    const exits = await start(await script(`${user}\nexit 1`), 1, logs);
    await expect(login(exits, { username: 'ext-fail', password: 'p' })).rejects.toThrow(
      /authentication methods failed/,
    );
    const killed = await start(await script(`${user}\nkill -9 $$`), 1, logs);
    await expect(login(killed, { username: 'ext-fail', password: 'p' })).rejects.toThrow(
      /authentication methods failed/,
    );
    expect(logs.filter((e) => e.sender === 'connection_failed').map((e) => e.error)).toEqual([
      'external authentication: exit status 1',
      'external authentication: killed by signal SIGKILL',
    ]);
    expect(await provider.getUserByUsername('ext-fail')).toBeUndefined();
  });

  it('writes no credential of a failed login to the log, not even one Node refuses', async () => {
    const secret = 'Tr0ub4dor-SECRET-7f3a';
    // Echoes the password back, as a broken program might: as its output, or as a username.
    const echo = await script(
      `case "$SFTPGO_AUTHD_USERNAME" in
  garbage) echo "not json: $SFTPGO_AUTHD_PASSWORD" ;;
  *) printf '{"username":"%s"}' "$SFTPGO_AUTHD_PASSWORD" ;;
esac`,
    );
    const logs: LogEntry[] = [];
    const port = await start(echo, 1, logs);
    const failed = (username: string, password: string) =>
      expect(login(port, { username, password })).rejects.toThrow(/authentication methods failed/);
    await failed('nul', `x\0${secret}`);
    await failed('garbage', secret);
    await failed('other', secret);
    const errors = logs.filter((e) => e.sender === 'connection_failed').map((e) => e.error);
    expect(errors).toEqual([
      'external authentication: a value for the program holds a NUL byte',
      'external authentication: the program did not answer with JSON',
      'external authentication answered for another user',
    ]);
    expect(JSON.stringify(logs)).not.toContain(secret);
  });

  it('keeps the password out of its errors and their causes', async () => {
    const secret = 'S3cret-Of-The-Client';
    const reasons: unknown[] = [];
    for (const [program, password] of [
      ['echo "$SFTPGO_AUTHD_PASSWORD"', secret],
      ['echo "{$SFTPGO_AUTHD_PASSWORD"', secret],
      ['exit 0', `\0${secret}`],
    ] as const) {
      await runExternalAuth(await script(program), { username: 'u', password }).catch(
        (err: unknown) => reasons.push(err),
      );
    }
    expect(reasons).toHaveLength(3);
    for (let err = reasons.pop(); err !== undefined; err = reasons.pop()) {
      expect(err).toBeInstanceOf(LoginError);
      for (let e: unknown = err; e instanceof Error; e = e.cause) {
        expect(`${e.message} ${e.stack}`).not.toContain(secret);
      }
    }
  });

  it('hands the variables over without a shell', async () => {
    const program = await script(
      'printf \'{"username":"%s","home_dir":"/tmp/x","password":"%s","permissions":{"/":["list"]}}\' "$SFTPGO_AUTHD_USERNAME" "$SFTPGO_AUTHD_PASSWORD"',
    );
    const hostile = '$(touch /tmp/pwned-by-sftpgo-test)`id`;';
    const user = await runExternalAuth(program, { username: 'u', password: hostile });
    expect(user.password).toBe(hostile);
  });
});
