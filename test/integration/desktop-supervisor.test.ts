import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineClient } from '../../main/engine-client.js';
import { nodeEngineChild } from '../../main/node-child.js';
import { type EngineChild, type EngineState, EngineSupervisor } from '../../main/supervisor.js';
import { Store } from '../../proxy/store/store.js';

/** A port that was free a moment ago (the OS picks it; the listener is closed again). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Rig {
  home: string;
  apiPort: number;
  anthropicPort: number;
  children: Array<{ child: EngineChild; pid: () => number | undefined }>;
  states: EngineState[];
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function rig(): Promise<Rig> {
  const home = mkdtempSync(join(tmpdir(), 'glassbox-desktop-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  return { home, apiPort: await freePort(), anthropicPort: await freePort(), children: [], states: [] };
}

/** The engine as the desktop app starts it: `glassbox serve` with its own home and ports, as a child process. */
function launcher(r: Rig): () => EngineChild {
  return () => {
    const child = nodeEngineChild({
      entry: join(process.cwd(), 'bin', 'glassbox.js'),
      args: ['serve', '--api-port', String(r.apiPort), '--anthropic-port', String(r.anthropicPort)],
      env: { ...process.env, GLASSBOX_HOME: r.home },
    });
    const lockFile = join(r.home, 'engine.pid');
    r.children.push({
      child,
      pid: () => (existsSync(lockFile) ? Number.parseInt(readFileSync(lockFile, 'utf8'), 10) : undefined),
    });
    return child;
  };
}

function client(r: Rig): EngineClient {
  const token = () => readFileSync(join(r.home, 'token'), 'utf8').trim();
  return new EngineClient({
    apiUrl: `http://127.0.0.1:${r.apiPort}`,
    token: existsSync(join(r.home, 'token')) ? token() : '',
  });
}

function supervise(r: Rig, overrides: Partial<ConstructorParameters<typeof EngineSupervisor>[0]> = {}) {
  const supervisor = new EngineSupervisor({
    launch: launcher(r),
    ready: () => client(r).healthy(),
    readyPollMs: 100,
    initialBackoffMs: 100,
    maxBackoffMs: 1_000,
    fastFailureMs: 5_000,
    maxFastFailures: 3,
    stopGraceMs: 10_000,
    onState: (state) => r.states.push(state),
    ...overrides,
  });
  cleanups.push(async () => void (await supervisor.stop()));
  return supervisor;
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('engine supervisor against a real `glassbox serve` process', () => {
  it('starts the engine, and a clean stop lets it close its sessions and exit 0', async () => {
    const r = await rig();
    const supervisor = supervise(r);
    expect(await supervisor.start()).toBe('running');
    const api = client(r);
    expect(await api.healthy()).toBe(true);
    // Pausing leaves a live session (the pause record) that a clean stop must close.
    const paused = await api.setRecording(false, 'test');
    const result = await supervisor.stop();
    expect(result).toEqual({ clean: true, code: 0 });
    expect(supervisor.state).toBe('stopped');
    expect(await api.healthy()).toBe(false);
    const store = Store.open(join(r.home, 'glassbox.db'));
    try {
      expect(store.getSession(paused.paused!.session_id)?.status).toBe('closed');
    } finally {
      store.close();
    }
    expect(existsSync(join(r.home, 'engine.pid'))).toBe(false);
  });

  it('restarts an engine that dies (kill -9), after a back-off, on the same address', async () => {
    const r = await rig();
    const supervisor = supervise(r);
    await supervisor.start();
    const firstPid = r.children[0]!.pid();
    expect(firstPid).toBeGreaterThan(0);
    const died = Date.now();
    process.kill(firstPid!, 'SIGKILL');
    await waitFor(() => r.states.includes('restarting'));
    await waitFor(() => supervisor.state === 'running' && r.children.length === 2);
    expect(Date.now() - died).toBeGreaterThanOrEqual(100); // the first back-off
    expect(r.children[1]!.pid()).not.toBe(firstPid);
    expect(await client(r).healthy()).toBe(true);
    expect(r.states).toEqual(['starting', 'running', 'restarting', 'starting', 'running']);
    expect(supervisor.failures).toBe(1);
  });

  it('gives up after repeated fast failures with the engine’s own error, doubling the back-off', async () => {
    const r = await rig();
    // Something else holds the API port: every start fails fast with a clear message.
    const squatter: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(r.apiPort, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    const reports: Array<{ failures: number; output: string; lastExitCode: number | null }> = [];
    const backoffs: number[] = [];
    const supervisor = supervise(r, {
      onGiveUp: (report) => reports.push(report),
      onState: (state) => {
        r.states.push(state);
        if (state === 'restarting') backoffs.push(supervisor.backoffMs());
      },
    });
    await supervisor.start();
    await waitFor(() => supervisor.state === 'failed');
    expect(r.children).toHaveLength(3);
    expect(backoffs).toEqual([100, 200]);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.failures).toBe(3);
    expect(reports[0]!.lastExitCode).toBe(2); // glassbox serve's exit code for a problem the user can fix
    expect(reports[0]!.output).toMatch(new RegExp(`Port ${r.apiPort} for the control API is already in use`));
    // A user-initiated start after giving up tries again from scratch.
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    expect(await supervisor.start()).toBe('running');
  });

  it('forces an engine that does not stop within the grace period', async () => {
    const r = await rig();
    // A child that ignores the stop request: the supervisor must kill it.
    const supervisor = new EngineSupervisor({
      launch: () => {
        const real = launcher(r)();
        return { ...real, requestStop: () => undefined };
      },
      ready: () => client(r).healthy(),
      readyPollMs: 100,
      stopGraceMs: 300,
    });
    cleanups.push(async () => void (await supervisor.stop()));
    await supervisor.start();
    const result = await supervisor.stop();
    expect(result.clean).toBe(false);
    expect(result.code).toBeNull(); // ended by SIGKILL
    expect(supervisor.state).toBe('stopped');
  });
});
