import { ServerResponse } from 'node:http';

/**
 * Spies on what the engine's Anthropic proxy (listening on `proxyPort`, in this process) hands to its clients'
 * sockets through ServerResponse#write, calling `onWrite` with the bytes at that moment — before the client, or
 * anything else queued in this process, can run. A client reading its socket instead would look only after the
 * engine's current task is done, when a commit queued in it is done too, and could not tell "recorded, then
 * relayed" from the reverse. Responses of other servers in the process (a mock upstream) are not reported.
 * @returns the function that removes the spy
 */
export function spyOnRelayedWrites(proxyPort: number, onWrite: (text: string) => void): () => void {
  const write = ServerResponse.prototype.write;
  ServerResponse.prototype.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    if (this.socket?.localPort === proxyPort) {
      onWrite(Buffer.isBuffer(chunk) ? chunk.toString() : String(chunk));
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof write;
  return () => {
    ServerResponse.prototype.write = write;
  };
}
