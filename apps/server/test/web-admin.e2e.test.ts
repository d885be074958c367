// The web admin in a real browser: Debian's Chromium driven by playwright-core,
// against a real `sftpgo serve` behind basic auth, with a real SSH client.
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import bcrypt from 'bcryptjs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllServers, type ServerProcess, startLoopbackServer } from './server-process.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

describe.runIf(hasCommand('chromium'))('the web admin in Chromium', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let profile: string | undefined;
  let server: ServerProcess | undefined;
  let web: string;
  let browser: BrowserContext | undefined;
  let page: Page;
  let client: ssh2.Client | undefined;
  let home: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    home = join(tmp.path, 'homes', 'frank');
    // Apache's htpasswd -B writes $2y$, the same algorithm as bcryptjs's $2b$
    const hash = bcrypt.hashSync('admin-secret', 10).replace(/^\$2b\$/, '$2y$');
    await writeFile(join(tmp.path, 'htpasswd'), `admin:${hash}\n`);
    // httpd.static_files_path is "static" by default, relative to the config dir
    await mkdir(join(tmp.path, 'static'));
    await writeFile(join(tmp.path, 'static', 'robots.txt'), 'User-agent: *\nDisallow: /\n');
    let api: string;
    ({ server, api } = await startLoopbackServer(tmp.path, {}, {}, { auth_user_file: 'htpasswd' }));
    web = api.replace(/\/api\/v1$/, '');
    profile = await mkdtemp(join(tmpdir(), 'sftpgo-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      httpCredentials: { username: 'admin', password: 'admin-secret' },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    // each step on its own, so that a failing one leaves nothing running
    const steps: (() => Promise<unknown> | unknown)[] = [
      () => client?.end(),
      () => browser?.close(),
      () => server?.stop('SIGKILL'),
      () => killAllServers(),
      () => profile && rm(profile, { recursive: true, force: true }),
      () => tmp?.remove(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch {
        // the next one still runs
      }
    }
  });

  it('adds a user through the form', async () => {
    await page.goto(`${web}/web`);
    expect(new URL(page.url()).pathname).toBe('/web/users');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Users');
    await page.getByRole('link', { name: 'Add user' }).click();
    await page.waitForURL('**/web/user');

    // a first try with a relative home dir: the error is shown next to the field
    await page.getByLabel('Username').fill('frank');
    await page.getByLabel('Password').fill('frank-password');
    await page.getByLabel('Home directory').fill('homes/frank');
    await page.getByRole('checkbox', { name: 'all (*)' }).check();
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.waitForLoadState();
    const homeField = page.getByLabel('Home directory');
    expect(await homeField.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#home_dir-error').textContent()).toContain(
      'must be an absolute path',
    );
    expect(await page.getByLabel('Username').inputValue()).toBe('frank');

    await homeField.fill(home);
    await page.getByLabel('Password').fill('frank-password');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.waitForURL('**/web/users');
    expect(await page.getByRole('status').textContent()).toBe('User "frank" added.');
    expect(await page.getByRole('rowheader', { name: 'frank' }).count()).toBe(1);
  });

  it('serves the static files of the config dir before its own, without credentials', async () => {
    const robots = await fetch(`${web}/static/robots.txt`);
    expect(await robots.text()).toBe('User-agent: *\nDisallow: /\n');
    const css = await fetch(`${web}/static/sftpgo.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${web}/web/users`)).status).toBe(401);
  });

  it('lists the SFTP connection of that user, and closes it from the page', async () => {
    if (!server) throw new Error('no server');
    const ssh = new ssh2.Client();
    client = ssh;
    await new Promise<void>((resolve, reject) => {
      ssh.once('ready', () => resolve()).once('error', reject);
      ssh.connect({
        host: '127.0.0.1',
        port: server?.sshPort,
        username: 'frank',
        password: 'frank-password',
      });
    });
    const sftp = await new Promise<ssh2.SFTPWrapper>((resolve, reject) =>
      ssh.sftp((err, s) => (err ? reject(err) : resolve(s))),
    );
    // an upload left open: a live transfer
    const handle = await new Promise<Buffer>((resolve, reject) =>
      sftp.open('/live.bin', 'w', (err, h) => (err ? reject(err) : resolve(h))),
    );
    await new Promise<void>((resolve, reject) =>
      sftp.write(handle, Buffer.alloc(4096, 7), 0, 4096, 0, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    const disconnected = new Promise<void>((resolve) => ssh.once('close', () => resolve()));

    await page.getByRole('link', { name: 'Connections' }).click();
    await page.waitForURL('**/web/connections');
    const row = page
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'frank' }) });
    expect(await row.count()).toBe(1);
    const text = await row.textContent();
    expect(text).toContain('127.0.0.1');
    expect(text).toMatch(/ssh2js/);
    expect(text).toMatch(/Upload\s+\/live\.bin:\s+4\.00 KiB/);

    await row.getByRole('link', { name: /^Close the connection of frank/ }).click();
    await page.waitForURL('**/web/connection/*/close');
    expect(await page.locator('h1').textContent()).toBe('Close the connection of frank?');
    await page.getByRole('button', { name: 'Close connection' }).click();
    await page.waitForURL('**/web/connections');
    expect(await page.getByRole('status').textContent()).toMatch(
      /^Connection [0-9a-f]+ of "frank" closed\.$/,
    );
    await disconnected;
    // the server forgets the connection once its client has gone
    await expect
      .poll(async () => {
        await page.reload();
        return page.getByText('No one is connected.').count();
      })
      .toBe(1);
    // what was written before the close is kept
    expect((await stat(join(home, 'live.bin'))).size).toBe(4096);
  });
});
