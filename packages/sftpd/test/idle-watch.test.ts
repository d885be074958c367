import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleWatch } from '../src/idle-watch.js';

describe('IdleWatch', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('calls back once the timeout has passed with nothing done', () => {
    const onIdle = vi.fn();
    new IdleWatch(1_000, onIdle);
    vi.advanceTimersByTime(999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledOnce();
  });

  it('counts the timeout from the last touch, however late the timer fires', () => {
    const onIdle = vi.fn();
    const watch = new IdleWatch(1_000, onIdle);
    vi.advanceTimersByTime(600);
    watch.touch();
    // the first timer fires at 1,000 ms, 400 ms after the touch, and waits again
    vi.advanceTimersByTime(999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledOnce();
  });

  it('keeps a connection that is touched more often than the timeout', () => {
    const onIdle = vi.fn();
    const watch = new IdleWatch(1_000, onIdle);
    for (let i = 0; i < 50; i++) {
      vi.advanceTimersByTime(300);
      watch.touch();
    }
    expect(onIdle).not.toHaveBeenCalled();
    // far fewer timers than touches: one per timeout at most
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(onIdle).toHaveBeenCalledOnce();
  });

  it('never calls back once stopped, even after waiting again', () => {
    const onIdle = vi.fn();
    const watch = new IdleWatch(1_000, onIdle);
    vi.advanceTimersByTime(600);
    watch.touch();
    // past the first timer, which waited again for the 600 ms left
    vi.advanceTimersByTime(500);
    watch.stop();
    vi.advanceTimersByTime(10_000);
    expect(onIdle).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
