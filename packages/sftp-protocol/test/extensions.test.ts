import {
  PacketReader,
  PacketWriter,
  type SftpHandler,
  SftpStatusError,
  SSH_FX_FAILURE,
  SSH_FX_NO_SUCH_FILE,
  SSH_FX_OK,
  SSH_FX_OP_UNSUPPORTED,
  SSH_FXF_READ,
  SSH_FXF_WRITE,
  SSH_FXP_EXTENDED,
  SSH_FXP_EXTENDED_REPLY,
  SSH_FXP_NAME,
  SSH_FXP_OPEN,
} from '@sftpgo/sftp-protocol';
import { describe, expect, it } from 'vitest';
import { memoryHandler, type RawClient, startSession } from './memory-session.js';

const statvfs = {
  bsize: 4096,
  frsize: 4096,
  blocks: 1000,
  bfree: 600,
  bavail: 500,
  files: 100,
  ffree: 50,
  favail: 50,
  fsid: 7,
  flag: 0,
  namemax: 255,
};

function fullHandler(content = Buffer.from('0123456789')) {
  const base = memoryHandler(content);
  const links: string[][] = [];
  const handler: SftpHandler & { links: string[][] } = {
    ...base,
    links,
    async statvfs() {
      return statvfs;
    },
    async setstat() {},
    async link(from: string, to: string) {
      links.push([from, to]);
    },
    async homeDirectory(user: string) {
      if (user !== '' && user !== 'me') throw new Error('unknown user');
      return '/home/me';
    },
  };
  return handler;
}

function extended(id: number, name: string): PacketWriter {
  return new PacketWriter(SSH_FXP_EXTENDED).uint32(id).string(name);
}

async function versionExtensions(client: RawClient): Promise<Record<string, string>> {
  const r = new PacketReader(await client.init(), 1);
  r.uint32();
  const found: Record<string, string> = {};
  while (r.remaining > 0) found[r.string()] = r.string();
  return found;
}

async function openFile(client: RawClient, id: number, pflags: number): Promise<Buffer> {
  client.send(
    new PacketWriter(SSH_FXP_OPEN).uint32(id).string('/file').uint32(pflags).attrs({}).finish(),
  );
  return client.handle();
}

async function singleName(client: RawClient): Promise<string> {
  const reply = await client.next();
  expect(reply[0]).toBe(SSH_FXP_NAME);
  const r = new PacketReader(reply, 5);
  expect(r.uint32()).toBe(1);
  return r.string();
}

describe('extensions', () => {
  it('advertises every extension the handler supports', async () => {
    const { client } = startSession(fullHandler());
    expect(await versionExtensions(client)).toEqual({
      'posix-rename@openssh.com': '1',
      'statvfs@openssh.com': '2',
      'fstatvfs@openssh.com': '2',
      'hardlink@openssh.com': '1',
      'fsync@openssh.com': '1',
      'lsetstat@openssh.com': '1',
      'limits@openssh.com': '1',
      'expand-path@openssh.com': '1',
      'home-directory': '1',
      'copy-data': '1',
    });
  });

  it('does not advertise what the handler lacks', async () => {
    const { client } = startSession(memoryHandler(Buffer.alloc(0)));
    const names = Object.keys(await versionExtensions(client));
    expect(names).not.toContain('statvfs@openssh.com');
    expect(names).not.toContain('hardlink@openssh.com');
    expect(names).not.toContain('lsetstat@openssh.com');
    expect(names).toContain('limits@openssh.com');
  });

  it('limits@openssh.com tells the packet, read and write sizes of OpenSSH', async () => {
    const { client } = startSession(fullHandler());
    await client.init();
    client.send(extended(1, 'limits@openssh.com').finish());
    const reply = await client.next();
    expect(reply[0]).toBe(SSH_FXP_EXTENDED_REPLY);
    const r = new PacketReader(reply, 1);
    expect(r.uint32()).toBe(1);
    expect([r.uint64(), r.uint64(), r.uint64(), r.uint64()]).toEqual([
      256 * 1024,
      255 * 1024,
      255 * 1024,
      512,
    ]);
  });

  it('statvfs@openssh.com and fstatvfs@openssh.com answer the 11 fields', async () => {
    const { client } = startSession(fullHandler());
    await client.init();
    client.send(extended(1, 'statvfs@openssh.com').string('/').finish());
    const handle = await (async () => {
      const reply = await client.next();
      const r = new PacketReader(reply, 5);
      expect(Array.from({ length: 11 }, () => r.uint64())).toEqual(Object.values(statvfs));
      return openFile(client, 2, SSH_FXF_READ);
    })();
    client.send(extended(3, 'fstatvfs@openssh.com').string(handle).finish());
    const r = new PacketReader(await client.next(), 5);
    expect(r.uint64()).toBe(4096);
  });

  it('hardlink@openssh.com links', async () => {
    const handler = fullHandler();
    const { client } = startSession(handler);
    await client.init();
    client.send(extended(1, 'hardlink@openssh.com').string('/a').string('/b').finish());
    expect(await client.status()).toMatchObject({ id: 1, code: SSH_FX_OK });
    expect(handler.links).toEqual([['/a', '/b']]);
  });

  it('expand-path@openssh.com expands ~ to the home directory', async () => {
    const { client } = startSession(fullHandler());
    await client.init();
    client.send(extended(1, 'expand-path@openssh.com').string('~/docs').finish());
    expect(await singleName(client)).toBe('/home/me/docs');
    client.send(extended(2, 'expand-path@openssh.com').string('~').finish());
    expect(await singleName(client)).toBe('/home/me');
    client.send(extended(3, 'expand-path@openssh.com').string('/x/~y').finish());
    expect(await singleName(client)).toBe('/x/~y');
  });

  it('home-directory answers for the user, and fails for others', async () => {
    const { client } = startSession(fullHandler());
    await client.init();
    client.send(extended(1, 'home-directory').string('me').finish());
    expect(await singleName(client)).toBe('/home/me');
    client.send(extended(2, 'home-directory').string('root').finish());
    expect(await client.status()).toMatchObject({ id: 2, code: SSH_FX_FAILURE });
  });

  it('copy-data copies between two handles and refuses overlapping ranges', async () => {
    const content = Buffer.from('0123456789');
    const { client } = startSession(fullHandler(content));
    await client.init();
    const src = await openFile(client, 1, SSH_FXF_READ);
    const dst = await openFile(client, 2, SSH_FXF_READ | SSH_FXF_WRITE);
    client.send(
      extended(3, 'copy-data').string(src).uint64(0).uint64(4).string(dst).uint64(20).finish(),
    );
    expect(await client.status()).toMatchObject({ id: 3, code: SSH_FX_OK });
    client.send(
      extended(4, 'copy-data').string(src).uint64(0).uint64(0).string(src).uint64(5).finish(),
    );
    expect(await client.status()).toMatchObject({ id: 4, code: SSH_FX_FAILURE });
  });

  it('copy-data to the end of file onto the same file through another handle stops', async () => {
    const handler = fullHandler(Buffer.from('0123456789'));
    const { client } = startSession(handler);
    await client.init();
    const src = await openFile(client, 1, SSH_FXF_READ);
    const dst = await openFile(client, 2, SSH_FXF_READ | SSH_FXF_WRITE);
    client.send(
      extended(3, 'copy-data').string(src).uint64(0).uint64(0).string(dst).uint64(10).finish(),
    );
    expect(await client.status()).toMatchObject({ id: 3, code: SSH_FX_OK });
    expect((await handler.stat('/file')).size).toBe(20);
  });

  it('fsync@openssh.com answers OP_UNSUPPORTED for a file that cannot sync', async () => {
    const { client } = startSession(fullHandler());
    await client.init();
    const handle = await openFile(client, 1, SSH_FXF_READ);
    client.send(extended(2, 'fsync@openssh.com').string(handle).finish());
    expect(await client.status()).toMatchObject({ id: 2, code: SSH_FX_OP_UNSUPPORTED });
    client.send(extended(3, 'fsync@openssh.com').string(Buffer.from('nope')).finish());
    expect(await client.status()).toMatchObject({ id: 3, code: SSH_FX_FAILURE });
  });

  it('lsetstat@openssh.com passes followLinks: false', async () => {
    const calls: unknown[] = [];
    const { client } = startSession({
      ...fullHandler(),
      async setstat(path, attrs, options) {
        calls.push([path, attrs, options]);
      },
    });
    await client.init();
    client.send(
      extended(1, 'lsetstat@openssh.com').string('/l').attrs({ mtime: 5, atime: 4 }).finish(),
    );
    expect(await client.status()).toMatchObject({ id: 1, code: SSH_FX_OK });
    expect(calls).toEqual([['/l', { atime: 4, mtime: 5 }, { followLinks: false }]]);
  });

  it('rejects a missing statvfs path with the handler status', async () => {
    const { client } = startSession({
      ...fullHandler(),
      async statvfs(path: string) {
        throw new SftpStatusError(SSH_FX_NO_SUCH_FILE, `${path}: missing`);
      },
    });
    await client.init();
    client.send(extended(1, 'statvfs@openssh.com').string('/nope').finish());
    expect(await client.status()).toEqual({
      id: 1,
      code: SSH_FX_NO_SUCH_FILE,
      message: '/nope: missing',
    });
  });
});
