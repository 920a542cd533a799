import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { engineSettings, seenClientsFile } from '../../../main/engine-settings.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'glassbox-settings-'));
  dirs.push(d);
  return d;
}

describe('where the desktop app finds its engine', () => {
  it('uses $GLASSBOX_HOME, the API port from config.json, and reads the token when it exists', () => {
    const home = dir();
    writeFileSync(join(home, 'config.json'), JSON.stringify({ api: { port: 9911 } }));
    const settings = engineSettings({ GLASSBOX_HOME: home }, '/nonexistent');
    expect(settings).toMatchObject({ home, apiPort: 9911, apiUrl: 'http://127.0.0.1:9911' });
    expect(settings.connection()).toEqual({ apiUrl: 'http://127.0.0.1:9911', token: '' });
    writeFileSync(join(home, 'token'), 'tok-123\n');
    expect(settings.connection().token).toBe('tok-123');
  });

  it('falls back to ~/.glassbox and port 8789, also when config.json is broken', () => {
    const user = dir();
    expect(engineSettings({}, user)).toMatchObject({ home: join(user, '.glassbox'), apiPort: 8789 });
    const home = dir();
    writeFileSync(join(home, 'config.json'), '{ nope');
    expect(engineSettings({ GLASSBOX_HOME: home }, user).apiPort).toBe(8789);
  });

  it('remembers seen clients in a file, tolerating a damaged one', () => {
    const file = join(dir(), 'seen-clients.json');
    const store = seenClientsFile(file);
    expect(store.load()).toEqual([]);
    store.save(['claude-cli/2.1', 'psql']);
    expect(seenClientsFile(file).load()).toEqual(['claude-cli/2.1', 'psql']);
    writeFileSync(file, '{"not":"an array"}');
    expect(store.load()).toEqual([]);
  });
});
