import { describe, expect, it } from 'vitest';
import { BufferPool, SPARES_KEPT } from '../src/buffer-pool.js';

// Each test uses a size of its own: the spares of a size are shared by the
// whole process, as they are by a server's sessions.

describe('BufferPool', () => {
  it('reuses a buffer given back, and ignores what it did not hand out', () => {
    const pool = new BufferPool(70_001, 4);
    const first = pool.take();
    pool.give(first.subarray(10, 20));
    expect(pool.take().buffer).toBe(first.buffer);
    pool.give(Buffer.alloc(70_001));
    pool.give(new BufferPool(70_002, 4).take());
    expect(pool.take().buffer).not.toBe(first.buffer);
  });

  it('hands out a buffer given back twice only once', () => {
    const pool = new BufferPool(70_011, 4);
    const buffer = pool.take();
    pool.give(buffer);
    pool.give(buffer);
    const a = pool.take();
    const b = pool.take();
    expect(a.buffer).toBe(buffer.buffer);
    expect(b.buffer).not.toBe(buffer.buffer);
  });

  it("hands a retired pool's buffers, and those given back later, to the next pool of its size", () => {
    const ended = new BufferPool(70_021, 4);
    const free = ended.take();
    const stillWritten = ended.take();
    ended.give(free);
    ended.retire();
    ended.give(stillWritten);
    const next = new BufferPool(70_021, 4);
    const taken = [next.take().buffer, next.take().buffer];
    expect(taken).toEqual(expect.arrayContaining([free.buffer, stillWritten.buffer]));
    expect(new BufferPool(70_022, 4).take().buffer).not.toBe(free.buffer);
  });

  it(`keeps at most ${SPARES_KEPT} spares of a size`, () => {
    const ended = new BufferPool(70_031, SPARES_KEPT * 2);
    const buffers = Array.from({ length: SPARES_KEPT + 5 }, () => ended.take());
    for (const b of buffers) ended.give(b);
    ended.retire();
    const next = new BufferPool(70_031, SPARES_KEPT * 2);
    const reused = new Set(buffers.map((b) => b.buffer));
    let fromSpares = 0;
    for (let i = 0; i < SPARES_KEPT + 5; i++) {
      if (reused.has(next.take().buffer)) fromSpares++;
    }
    expect(fromSpares).toBe(SPARES_KEPT);
  });

  it('keeps at most its own maximum while it serves', () => {
    const pool = new BufferPool(70_041, 2);
    const buffers = [pool.take(), pool.take(), pool.take()];
    for (const b of buffers) pool.give(b);
    const kept = new Set(buffers.map((b) => b.buffer));
    const again = [pool.take(), pool.take(), pool.take()];
    expect(again.filter((b) => kept.has(b.buffer))).toHaveLength(2);
  });
});
