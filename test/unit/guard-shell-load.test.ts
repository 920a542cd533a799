import { describe, expect, it } from 'vitest';
import { loadShellParser, ShellClassifier } from '../../proxy/policy/guard/shell.js';

/** Loading the grammar: once per process, and a classifier before it is a programming error, said clearly. */
describe('loadShellParser', () => {
  it('a classifier made before the grammar is loaded throws, naming what to call', () => {
    expect(() => new ShellClassifier()).toThrow(/loadShellParser/);
  });

  it('is idempotent: concurrent and later calls share one load', async () => {
    const first = loadShellParser();
    expect(loadShellParser()).toBe(first);
    await first;
    expect(loadShellParser()).toBe(first);
    const a = new ShellClassifier();
    const b = new ShellClassifier();
    const line = 'sudo rm -rf /x';
    expect(a.classify(line, { home: '/h' })).toEqual(b.classify(line, { home: '/h' }));
    a.dispose();
    expect(b.classify(line, { home: '/h' }).commands[0]?.name).toBe('rm');
    b.dispose();
  });
});
