// A redis-server of a benchmark's own, on a free loopback port: bench/soak.mjs (restarted empty on the way) and
// bench/redis-scale.mjs (SLOWLOG of every call).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A loopback port free now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server on `port` without persistence (a restart starts empty, as after a crash of a cache-only
 * Redis), with `extra` arguments; `raise` runs it at a raised priority (`nice -n -10`, root only). Resolves with
 * the child once it accepts connections.
 */
export function startRedis(port, { extra = [], raise = false } = {}) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra];
  const child = raise
    ? spawn('nice', ['-n', '-10', 'redis-server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        resolve(child);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
}
