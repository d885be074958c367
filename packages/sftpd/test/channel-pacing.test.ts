import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { paceForOpenSsh } from '../src/channel-pacing.js';
import { downloadWithSsh, serveExec, stopServer } from './fixtures/exec-download.js';

const OPENSSH = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7';
const WINDOW = 2 * 1024 * 1024;
/** Half of OpenSSH's window, and four packets. */
const AHEAD = WINDOW / 2 + 4 * 32 * 1024;

/** A channel's flow-control state as ssh2 keeps it: the client's window, which sends spend and adjustments refill. */
function channelWithWindow(window: number) {
  return { outgoing: { window } };
}

/** As ssh2 does: spends the whole window, then, `waitMs` later, the client's adjustment arrives. */
async function starveThenAdjust(channel: { outgoing: { window: number } }, waitMs: number) {
  channel.outgoing.window = 0;
  await sleep(waitMs);
  channel.outgoing.window += 96 * 1024;
}

describe('paceForOpenSsh', () => {
  it('lets a channel to OpenSSH send half its window and four packets ahead', () => {
    const channel = channelWithWindow(WINDOW);
    expect(paceForOpenSsh(channel, OPENSSH)).toBe(true);
    expect(channel.outgoing.window).toBe(AHEAD);
    channel.outgoing.window -= 100_000;
    expect(channel.outgoing.window).toBe(AHEAD - 100_000);
    // what the client adjusts is added as it is: the part held back stays held
    channel.outgoing.window += 200_000;
    expect(channel.outgoing.window).toBe(AHEAD + 100_000);
  });

  it('leaves other clients, and windows too small to hold anything back, alone', () => {
    const putty = channelWithWindow(WINDOW);
    expect(paceForOpenSsh(putty, 'SSH-2.0-PuTTY_Release_0.78')).toBe(false);
    expect(putty.outgoing.window).toBe(WINDOW);
    const small = channelWithWindow(200 * 1024);
    expect(paceForOpenSsh(small, OPENSSH)).toBe(false);
    expect(small.outgoing.window).toBe(200 * 1024);
    expect(paceForOpenSsh({}, OPENSSH)).toBe(false);
  });

  it('gives back what it held once the client has been slow to adjust eight times in a row', async () => {
    const channel = channelWithWindow(WINDOW);
    paceForOpenSsh(channel, OPENSSH);
    for (let i = 0; i < 7; i++) await starveThenAdjust(channel, 15);
    expect(channel.outgoing.window).toBe(96 * 1024);
    await starveThenAdjust(channel, 15);
    expect(channel.outgoing.window).toBe(96 * 1024 + (WINDOW - AHEAD));
  });

  it('holds on while slow adjustments of the client are only now and then', async () => {
    const channel = channelWithWindow(WINDOW);
    paceForOpenSsh(channel, OPENSSH);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 7; i++) await starveThenAdjust(channel, 15);
      await starveThenAdjust(channel, 0);
    }
    expect(channel.outgoing.window).toBe(96 * 1024);
  });
});

describe('paceForOpenSsh with ssh2 and OpenSSH', () => {
  let server: Server | undefined;

  afterEach(async () => {
    if (server) await stopServer(server);
    server = undefined;
  });

  it('sends a download whole, never more than half the window and four packets ahead', async () => {
    const data = randomBytes(24 * 1024 * 1024);
    const paced: boolean[] = [];
    let largestWindow = 0;
    server = await serveExec(data, {
      onChannel: (channel, ident) => paced.push(paceForOpenSsh(channel, ident)),
      onWrite: (channel) => {
        const { window } = (channel as unknown as { outgoing: { window: number } }).outgoing;
        largestWindow = Math.max(largestWindow, window);
      },
    });
    // read as fast as it comes: a pause would be a slow adjustment, which
    // eight times in a row would rightly lift the limit
    const received = await downloadWithSsh(server, [], false);
    expect(received).toBe(createHash('sha256').update(data).digest('hex'));
    expect(paced).toEqual([true]);
    expect(largestWindow).toBeGreaterThan(0);
    expect(largestWindow).toBeLessThanOrEqual(AHEAD);
  });
});
