import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pooledRandomFill } from '../src/pooled-random-fill.js';

/** A `randomFillSync` that records the sizes asked of it. */
function countingFill() {
  const sizes: number[] = [];
  const fill = ((buffer: Uint8Array, offset?: number, size?: number) => {
    sizes.push(size ?? buffer.byteLength);
    return randomFillSync(buffer, offset, size);
  }) as typeof randomFillSync;
  return { fill, sizes };
}

describe('pooledRandomFill', () => {
  it('fills exactly the bytes asked for, with bytes never handed out before', () => {
    const fill = pooledRandomFill();
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const buffer = Buffer.alloc(64);
      expect(fill(buffer, 8, 32)).toBe(buffer);
      expect(buffer.subarray(0, 8).equals(Buffer.alloc(8))).toBe(true);
      expect(buffer.subarray(40).equals(Buffer.alloc(24))).toBe(true);
      seen.add(buffer.subarray(8, 40).toString('hex'));
    }
    // 2,000 fills of 32 bytes span four refills of the pool; a repeat would
    // mean bytes handed out twice
    expect(seen.size).toBe(2_000);
  });

  it('draws from the system 16 KiB at a time for small fills', () => {
    const { fill, sizes } = countingFill();
    const pooled = pooledRandomFill(fill);
    const buffer = Buffer.alloc(16);
    for (let i = 0; i < 1_024; i++) pooled(buffer, 0, 16);
    expect(sizes).toEqual([16_384]);
    pooled(buffer, 0, 16);
    expect(sizes).toEqual([16_384, 16_384]);
  });

  it('leaves larger fills and other argument forms to the system, errors included', () => {
    const { fill, sizes } = countingFill();
    const pooled = pooledRandomFill(fill);
    pooled(Buffer.alloc(300), 0, 256);
    pooled(Buffer.alloc(4_096));
    const words = new Uint32Array(4);
    pooled(words);
    expect(sizes).toEqual([256, 4_096, 16]);
    expect(words.some((w) => w !== 0)).toBe(true);
    expect(() => pooled(Buffer.alloc(8), 4, 8)).toThrow(RangeError);
    expect(() => pooled(Buffer.alloc(8), -1, 2)).toThrow(RangeError);
  });
});

describe('ssh2 as @sftpgo/sftpd loads it', () => {
  it("pads its packets from the pool, and leaves the process's randomFillSync as it was", () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const fixture = fileURLToPath(new URL('fixtures/ssh2-padding.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', tsx, fixture, '2000'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout) as {
      restored: boolean;
      calls: number;
      received: number;
    };
    expect(result.restored).toBe(true);
    expect(result.received).toBe(2_000 * 16);
    // 2,000 packets of the server, and the client's, each with its padding:
    // a call per packet would count thousands
    expect(result.calls).toBeLessThan(10);
  });
});
