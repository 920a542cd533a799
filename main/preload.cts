/**
 * The window's preload (sandboxed, CommonJS: a sandboxed preload can require only 'electron'). Exposes the
 * narrow API of ipc-contract.ts as `window.glassboxDesktop`; nothing else of Node or Electron reaches the page.
 */
import electron = require('electron');

import type {
  GlassboxDesktopApi,
  InvokeChannel,
  IpcInvokeContract,
  IpcPushContract,
  PushChannel,
} from './ipc-contract.js';

const { contextBridge, ipcRenderer } = electron;

function invoke<C extends InvokeChannel>(
  channel: C,
  ...args: IpcInvokeContract[C]['args']
): Promise<IpcInvokeContract[C]['result']> {
  return ipcRenderer.invoke(channel, ...args) as Promise<IpcInvokeContract[C]['result']>;
}

function subscribe<C extends PushChannel>(
  channel: C,
  listener: (payload: IpcPushContract[C]) => void,
): () => void {
  const wrapped = (_event: Electron.IpcRendererEvent, payload: IpcPushContract[C]) => listener(payload);
  ipcRenderer.on(channel, wrapped);
  return () => void ipcRenderer.removeListener(channel, wrapped);
}

const api: GlassboxDesktopApi = {
  connection: () => invoke('glassbox:connection'),
  desktopState: () => invoke('glassbox:desktop-state'),
  openExternal: (url) => invoke('glassbox:open-external', url),
  signIn: () => invoke('glassbox:sign-in'),
  onDesktopState: (listener) => subscribe('glassbox:desktop-state-changed', listener),
  onNavigate: (listener) => subscribe('glassbox:navigate', listener),
};

contextBridge.exposeInMainWorld('glassboxDesktop', api);
