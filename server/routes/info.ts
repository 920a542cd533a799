/**
 * `GET /v1/info` (public): what an engine needs to sign in for this server — issuer, client id, audience,
 * which token to send — read by `glassbox team join URL`.
 */
import { PROTOCOL_VERSION, type ServerInfo } from '../../proxy/sync/protocol.js';
import type { App, RouteContext } from '../http/context.js';

/** Registers `/v1/info`. */
export function infoRoutes(context: RouteContext) {
  return async (app: App) => {
    app.get('/v1/info', async (): Promise<ServerInfo> => {
      const { config } = context;
      return {
        name: 'glassbox-server',
        version: context.version,
        protocol: PROTOCOL_VERSION,
        issuer: config.issuer,
        clientId: config.clientId,
        audience: config.audience,
        token: config.token,
        groupsClaim: config.groupsClaim,
      };
    });
  };
}
