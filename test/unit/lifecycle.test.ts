import { describe, expect, it } from 'vitest';
import { type Component, Lifecycle } from '../../proxy/common/lifecycle.js';

/** A component that logs its start and stop into `log`, and fails where told. */
function part(log: string[], name: string, fail: { start?: boolean; stop?: boolean } = {}): Component {
  return {
    start: async () => {
      log.push(`start ${name}`);
      if (fail.start) throw new Error(`${name} would not start`);
    },
    stop: () => {
      log.push(`stop ${name}`);
      if (fail.stop) throw new Error(`${name} would not stop`);
    },
  };
}

describe('Lifecycle', () => {
  it('starts components in order and stops them in reverse, once', async () => {
    const log: string[] = [];
    const parts = new Lifecycle();
    await parts.compose(async (list) => {
      await list.add('store', part(log, 'store'));
      await list.add('proxy', part(log, 'proxy'));
      await list.add('api', { stop: () => void log.push('stop api') });
    });
    expect(parts.names).toEqual(['store', 'proxy', 'api']);
    await parts.stopAll();
    await parts.stopAll();
    expect(log).toEqual(['start store', 'start proxy', 'stop api', 'stop proxy', 'stop store']);
  });

  it('undoes what had started when a start, or a step between starts, fails', async () => {
    const log: string[] = [];
    const failedStart = new Lifecycle().compose(async (list) => {
      await list.add('store', part(log, 'store'));
      await list.add('proxy', part(log, 'proxy'));
      await list.add('api', part(log, 'api', { start: true }));
    });
    await expect(failedStart).rejects.toThrow('api would not start');
    expect(log).toEqual(['start store', 'start proxy', 'start api', 'stop proxy', 'stop store']);

    log.length = 0;
    const failedStep = new Lifecycle().compose(async (list) => {
      await list.add('store', part(log, 'store'));
      throw new Error('bad configuration');
    });
    await expect(failedStep).rejects.toThrow('bad configuration');
    expect(log).toEqual(['start store', 'stop store']);
  });

  it('runs every stop even when one fails, then throws the first failure', async () => {
    const log: string[] = [];
    const parts = new Lifecycle();
    await parts.compose(async (list) => {
      await list.add('store', part(log, 'store', { stop: true }));
      await list.add('proxy', part(log, 'proxy', { stop: true }));
      await list.add('api', part(log, 'api'));
    });
    await expect(parts.stopAll()).rejects.toThrow('proxy would not stop');
    expect(log.slice(3)).toEqual(['stop api', 'stop proxy', 'stop store']);
  });
});
