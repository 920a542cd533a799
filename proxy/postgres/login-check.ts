import type { NewConnection } from './connections.js';
import { terminate } from './frontend-messages.js';
import { connectUpstream, type UpstreamTarget } from './upstream.js';

/** A successful upstream login: what the server said about itself. */
export interface LoginCheck {
  /** The server's `server_version` ParameterStatus, e.g. "16.4 (Debian 16.4-1)", or null. */
  serverVersion: string | null;
  /** TLS protocol to the upstream, e.g. "TLSv1.3", or null for a plain connection. */
  tls: string | null;
}

/**
 * Logs in to a connection's upstream once, as the engine will (same TLS mode, credential and default
 * database), then ends the session with Terminate (PostgreSQL docs, 55.2.1 "Start-up").
 * @throws UpstreamError naming the host and the cause (unreachable, TLS refused, authentication failed, …)
 */
export async function checkUpstreamLogin(connection: NewConnection, timeoutMs = 10_000): Promise<LoginCheck> {
  const { entry } = connection;
  const target: UpstreamTarget = {
    host: entry.host,
    port: entry.port,
    user: entry.user,
    database: entry.database,
    password: connection.upstreamPassword,
    tls: entry.upstreamTls,
    ...(entry.upstreamCa ? { ca: entry.upstreamCa } : {}),
  };
  const session = await connectUpstream(target, { application_name: 'glassbox pg add' }, timeoutMs);
  session.socket.end(terminate());
  return { serverVersion: session.parameters.server_version ?? null, tls: session.tls };
}
