import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { listenHttp } from '../src/http-listener.js';

function get(port: number, agent: Agent): Promise<{ status: number; socketPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/', agent }, (res) => {
      // read now: the socket goes back to the agent's pool at the end
      const socketPort = res.socket.localPort ?? 0;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, socketPort }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the REST API listener', () => {
  it('keeps an idle keep-alive connection past the 5 s that would race a busy client', async () => {
    const listener = await listenHttp((_req, res) => res.end('ok'), 0, '127.0.0.1');
    // the client keeps its idle connections longer than the old server default
    const agent = new Agent({ keepAlive: true, maxSockets: 1, timeout: 30_000 });
    try {
      const first = await get(listener.address.port, agent);
      await new Promise((r) => setTimeout(r, 6_000));
      const second = await get(listener.address.port, agent);
      expect(second).toEqual({ status: 200, socketPort: first.socketPort });
    } finally {
      agent.destroy();
      await listener.close();
    }
  }, 20_000);
});
