import { describe, expect, it } from 'vitest';
import type { DesktopState } from '../../../main/ipc-contract.js';
import {
  type IpcRegistrar,
  type IpcSender,
  isOpenableExternally,
  isTrustedSender,
  registerIpc,
  UntrustedSenderError,
} from '../../../main/ipc-guard.js';

const state: DesktopState = { engine: 'running', recording: true, notice: null, secretsWarning: null };

/** A stand-in for ipcMain that keeps the registered listeners so the test can call them as Electron would. */
function fakeIpc() {
  const listeners = new Map<string, (sender: IpcSender, ...args: unknown[]) => unknown>();
  const registrar: IpcRegistrar = { handle: (channel, listener) => void listeners.set(channel, listener) };
  const call = (channel: string, sender: IpcSender, ...args: unknown[]) =>
    listeners.get(channel)!(sender, ...args);
  return { registrar, listeners, call };
}

const good: IpcSender = { senderId: 7, frameUrl: 'app://glassbox/index.html#/sessions', isMainFrame: true };

describe('IPC sender checks', () => {
  it('trusts only the main frame of the app window showing an app:// page', () => {
    const trusted = new Set([7]);
    expect(isTrustedSender(good, trusted)).toBe(true);
    expect(isTrustedSender({ ...good, senderId: 8 }, trusted)).toBe(false);
    expect(isTrustedSender({ ...good, isMainFrame: false }, trusted)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: 'https://evil.example/' }, trusted)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: 'app://other/index.html' }, trusted)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: 'file:///etc/passwd' }, trusted)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: undefined }, trusted)).toBe(false);
  });

  it('registers every channel behind the check and validates arguments', async () => {
    const ipc = fakeIpc();
    const opened: string[] = [];
    registerIpc(
      ipc.registrar,
      {
        'glassbox:connection': () => ({ apiUrl: 'http://127.0.0.1:8789', token: 't' }),
        'glassbox:desktop-state': () => state,
        'glassbox:open-external': (url) => {
          opened.push(url);
          return true;
        },
        'glassbox:sign-in': () => ({ ok: false, message: 'not configured' }),
      },
      new Set([7]),
    );
    expect([...ipc.listeners.keys()].sort()).toEqual([
      'glassbox:connection',
      'glassbox:desktop-state',
      'glassbox:open-external',
      'glassbox:sign-in',
    ]);
    expect(ipc.call('glassbox:connection', good)).toEqual({ apiUrl: 'http://127.0.0.1:8789', token: 't' });
    expect(() => ipc.call('glassbox:connection', { ...good, frameUrl: 'https://evil.example/' })).toThrow(
      UntrustedSenderError,
    );
    expect(() => ipc.call('glassbox:desktop-state', { ...good, senderId: 99 })).toThrow(
      /refused glassbox:desktop-state/,
    );
    expect(() => ipc.call('glassbox:open-external', good, 42)).toThrow(TypeError);
    expect(ipc.call('glassbox:open-external', good, 'https://docs.anthropic.com')).toBe(true);
    expect(opened).toEqual(['https://docs.anthropic.com']);
    expect(ipc.call('glassbox:sign-in', good)).toEqual({ ok: false, message: 'not configured' });
    expect(() => ipc.call('glassbox:sign-in', { ...good, senderId: 99 })).toThrow(UntrustedSenderError);
  });

  it('opens only https links outside the app', () => {
    expect(isOpenableExternally('https://github.com/x')).toBe(true);
    expect(isOpenableExternally('http://example.com')).toBe(false);
    expect(isOpenableExternally('file:///etc/passwd')).toBe(false);
    expect(isOpenableExternally('javascript:alert(1)')).toBe(false);
    expect(isOpenableExternally('not a url')).toBe(false);
  });
});
