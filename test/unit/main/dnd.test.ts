import { describe, expect, it } from 'vitest';
import { doNotDisturbProbe } from '../../../main/dnd.js';

describe('do-not-disturb probe', () => {
  it('reads GNOME’s show-banners setting on Linux', async () => {
    let answer = 'true\n';
    const calls: string[][] = [];
    const probe = doNotDisturbProbe('linux', async (command, args) => {
      calls.push([command, ...args]);
      return answer;
    });
    await probe.refresh();
    expect(probe.quiet()).toBe(false);
    answer = 'false\n';
    await probe.refresh();
    expect(probe.quiet()).toBe(true);
    expect(calls[0]).toEqual(['gsettings', 'get', 'org.gnome.desktop.notifications', 'show-banners']);
    probe.stop();
  });

  it('is not quiet when gsettings is missing, nor on macOS and Windows (the OS filters there)', async () => {
    const probe = doNotDisturbProbe('linux', async () => {
      throw new Error('ENOENT');
    });
    await probe.refresh();
    expect(probe.quiet()).toBe(false);
    probe.stop();
    expect(doNotDisturbProbe('darwin', async () => 'false').quiet()).toBe(false);
  });
});
