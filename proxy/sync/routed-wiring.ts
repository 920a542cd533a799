/**
 * Builds the engine's {@link RoutedApprovals} from config.json's `team` section and the live sign-in: the
 * team server's URL, the bearer token of the verified sign-in (proxy/identity/bearer.ts), and the signed-in
 * person to tell their own requests from those routed to them.
 */
import { IdentityBearer } from '../identity/bearer.js';
import type { IdentitySource } from '../identity/types.js';
import type { Approvals } from '../policy/approvals/broker.js';
import { TeamApprovalsClient } from './approvals-client.js';
import { RoutedApprovals } from './routed-approvals.js';
import { type TeamSettings, teamBaseUrl } from './settings.js';

/** The component; without `team` it routes nothing and follows nothing (an approval with `route` then stays local, pending, and expires). */
export function routedApprovalsFor(options: {
  home: string;
  team: TeamSettings | undefined;
  approvals: Approvals;
  identity: IdentitySource;
  warn: (message: string) => void;
}): RoutedApprovals {
  const { team, identity } = options;
  const baseUrl = () => (team ? teamBaseUrl(team) : undefined);
  const bearer = new IdentityBearer(options.home, identity, () => team?.token ?? 'access_token');
  return new RoutedApprovals({
    approvals: options.approvals,
    client: new TeamApprovalsClient(baseUrl, bearer),
    baseUrl,
    bearer,
    me: () => {
      const current = identity.current();
      return current.verified ? { issuer: current.issuer, subject: current.subject } : {};
    },
    warn: options.warn,
  });
}
