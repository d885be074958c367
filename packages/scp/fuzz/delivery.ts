import type { Duplex } from 'node:stream';
import type { FuzzRandom } from '@sftpgo/test-utils';

// How the client's bytes reach the server: cut into chunks at random
// places, with pauses that let the engine run between them, then the end of
// the stream or a lost connection. The plan is drawn up front, so that a
// case replays from its seed whatever the engine's timing.

type Pause = 'none' | 'immediate' | 'timer';

export interface DeliveryPlan {
  readonly chunks: readonly Buffer[];
  readonly pauses: readonly Pause[];
  /**
   * After the last chunk, `end`: the client ends its stream; `disconnect`:
   * the channel closes; `reset`: the channel fails with an error.
   */
  readonly ending: 'end' | 'disconnect' | 'reset';
  /** The chunk before which the channel closes, if it does before the end. */
  readonly cutBefore: number | undefined;
}

export function planDelivery(r: FuzzRandom, input: Buffer): DeliveryPlan {
  const cuts = new Set<number>();
  for (let n = r.int(8); n > 0; n--) cuts.add(r.int(input.length + 1));
  const at = [0, ...[...cuts].sort((a, b) => a - b), input.length];
  const chunks: Buffer[] = [];
  for (let i = 1; i < at.length; i++) {
    if (at[i]! > at[i - 1]!) chunks.push(input.subarray(at[i - 1], at[i]));
  }
  const pauses = chunks.map(() => r.pick<Pause>(['none', 'none', 'immediate', 'timer']));
  const roll = r.int(10);
  return {
    chunks,
    pauses,
    ending: roll === 0 ? 'disconnect' : roll === 2 ? 'reset' : 'end',
    cutBefore: roll === 1 && chunks.length > 0 ? r.int(chunks.length) : undefined,
  };
}

function pause(kind: Pause): Promise<void> | undefined {
  if (kind === 'immediate') return new Promise((resolve) => setImmediate(resolve));
  if (kind === 'timer') return new Promise((resolve) => setTimeout(resolve, 1));
  return undefined;
}

/**
 * Sends the plan's chunks from `client` to `server`. Losing the connection
 * destroys the server's end, as an SSH channel is when its socket dies.
 */
export async function deliver(plan: DeliveryPlan, client: Duplex, server: Duplex): Promise<void> {
  for (let i = 0; i < plan.chunks.length; i++) {
    if (server.destroyed) return;
    if (plan.cutBefore === i) {
      server.destroy();
      return;
    }
    client.write(plan.chunks[i]);
    await pause(plan.pauses[i]!);
  }
  if (plan.ending === 'end') client.end();
  else if (plan.ending === 'reset') server.destroy(new Error('read ECONNRESET'));
  else server.destroy();
}
