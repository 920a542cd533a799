/**
 * Sender checks for IPC: a handler answers only the app's own window showing the app's own pages. Anything
 * else (a frame navigated elsewhere, a subframe, a web contents Glassbox did not create) gets an error.
 */
import type { InvokeChannel, IpcInvokeContract } from './ipc-contract.js';

/** The origin the bundled renderer is served from (see app-protocol.ts). */
export const APP_ORIGIN = 'app://glassbox';

/** What a handler knows about who called: Electron's IpcMainInvokeEvent, reduced. */
export interface IpcSender {
  /** The calling webContents' id. */
  senderId: number;
  /** The URL of the frame that sent the message, or undefined when it is gone. */
  frameUrl: string | undefined;
  /** True when the frame is the top frame of its page. */
  isMainFrame: boolean;
}

/** The IPC registration slice of Electron's ipcMain. */
export interface IpcRegistrar {
  handle(channel: string, listener: (sender: IpcSender, ...args: unknown[]) => unknown): void;
}

/** Thrown to the renderer when a sender is refused. */
export class UntrustedSenderError extends Error {
  constructor(channel: string, sender: IpcSender) {
    super(`refused ${channel} from ${sender.frameUrl ?? 'an unknown frame'}`);
    this.name = 'UntrustedSenderError';
  }
}

/**
 * True when `sender` is the top frame of one of `trustedIds` (the app's windows) and shows a page of
 * {@link APP_ORIGIN}.
 */
export function isTrustedSender(sender: IpcSender, trustedIds: ReadonlySet<number>): boolean {
  if (!trustedIds.has(sender.senderId) || !sender.isMainFrame || !sender.frameUrl) return false;
  try {
    const url = new URL(sender.frameUrl);
    return `${url.protocol}//${url.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** Handlers for every invoke channel, typed by the contract. */
export type IpcHandlers = {
  [C in InvokeChannel]: (
    ...args: IpcInvokeContract[C]['args']
  ) => IpcInvokeContract[C]['result'] | Promise<IpcInvokeContract[C]['result']>;
};

/** Validators turning untyped IPC arguments into the contract's; they throw on anything else. */
export type IpcArgValidators = { [C in InvokeChannel]: (args: unknown[]) => IpcInvokeContract[C]['args'] };

/** The argument checks for {@link IpcInvokeContract}. */
export const IPC_ARGS: IpcArgValidators = {
  'glassbox:connection': () => [],
  'glassbox:desktop-state': () => [],
  'glassbox:open-external': (args) => {
    const [url] = args;
    if (typeof url !== 'string' || url.length > 2048) throw new TypeError('openExternal takes a URL string');
    return [url];
  },
  'glassbox:sign-in': () => [],
};

/**
 * Registers every handler behind the sender check and the argument validators.
 * @param trustedIds read at each call, so windows created later are trusted once added
 */
export function registerIpc(ipc: IpcRegistrar, handlers: IpcHandlers, trustedIds: ReadonlySet<number>): void {
  const register = <C extends InvokeChannel>(channel: C) => {
    ipc.handle(channel, (sender, ...args) => {
      if (!isTrustedSender(sender, trustedIds)) throw new UntrustedSenderError(channel, sender);
      const handler = handlers[channel] as (...a: IpcInvokeContract[C]['args']) => unknown;
      return handler(...IPC_ARGS[channel](args));
    });
  };
  register('glassbox:connection');
  register('glassbox:desktop-state');
  register('glassbox:open-external');
  register('glassbox:sign-in');
}

/** Only https:// links leave the app (to the user's browser). */
export function isOpenableExternally(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}
