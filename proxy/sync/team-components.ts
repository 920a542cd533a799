/**
 * The engine's team parts for config.json's `team` section, built here so that engine.ts stays a list: one
 * bearer (the verified sign-in's access token, or its ID token when `team.token` says so; identity/bearer.ts)
 * and one live connection to the server's `/v1/live` (live-client.ts), shared by routed approvals, the team
 * policy and the mirror. Without a `team` section every part stays idle: nothing is routed, followed, fetched
 * or mirrored.
 */
import { IdentityBearer } from '../identity/bearer.js';
import type { IdentityComponent } from '../identity/component.js';
import type { EngineLog } from '../live-config.js';
import type { Approvals } from '../policy/approvals/broker.js';
import type { TeamPolicy } from '../policy/team-layers.js';
import type { Store } from '../store/store.js';
import { TeamApprovalsClient } from './approvals-client.js';
import { TeamLiveClient } from './live-client.js';
import { Mirror } from './mirror.js';
import { RoutedApprovals } from './routed-approvals.js';
import { type TeamSettings, teamBaseUrl } from './settings.js';
import { readCachedTeamPolicy, type TeamPolicySync, teamPolicySync } from './team-policy-sync.js';

/** What the team parts need from the engine. */
export interface TeamComponentsOptions {
  /** The data directory ($GLASSBOX_HOME). */
  home: string;
  /** config.json's `team` section; undefined: no team server. */
  team: TeamSettings | undefined;
  /** The live sign-in: whose token is sent, and whose requests are whose. */
  identity: IdentityComponent;
  warn: (message: string) => void;
  log: EngineLog;
}

/** Builds each team component on demand (see the module comment); engine.ts adds them in its order. */
export class TeamComponents {
  /** The bearer every team client sends (undefined while signed out). */
  readonly bearer: IdentityBearer;
  /**
   * The engine's one connection to `/v1/live`, a component of its own (started before, and stopped after, its
   * subscribers); undefined without a team server.
   */
  readonly live: TeamLiveClient | undefined;

  constructor(private readonly options: TeamComponentsOptions) {
    const { home, team, identity } = options;
    this.bearer = new IdentityBearer(home, identity, () => team?.token ?? 'access_token');
    this.live = team
      ? new TeamLiveClient({ baseUrl: () => teamBaseUrl(team), bearer: this.bearer })
      : undefined;
  }

  /**
   * Approvals whose rule routes them to a group go to the team server; those routed to this person's groups
   * come here. Without `team` it routes nothing and follows nothing (an approval with `route` then stays
   * local, pending, and expires).
   */
  routedApprovals(approvals: Approvals): RoutedApprovals {
    const { team, identity, warn } = this.options;
    const baseUrl = () => (team ? teamBaseUrl(team) : undefined);
    return new RoutedApprovals({
      approvals,
      client: new TeamApprovalsClient(baseUrl, this.bearer),
      baseUrl,
      live: this.live ?? false,
      me: () => {
        const current = identity.current();
        return current.verified ? { issuer: current.issuer, subject: current.subject } : {};
      },
      warn,
    });
  }

  /**
   * The last team policy fetched (team-policy-sync.ts cache), read by the policy watcher so that an engine
   * starting offline still applies it; undefined without a team server.
   */
  cachedPolicy(): (() => TeamPolicy | null) | undefined {
    const { home, team, log } = this.options;
    return team ? () => readCachedTeamPolicy(home, teamBaseUrl(team), log) : undefined;
  }

  /** Fetches the team policy and hands each new version to `policy`; undefined without a team server. */
  policySync(policy: Parameters<typeof teamPolicySync>[0]['policy']): TeamPolicySync | undefined {
    const { home, team, log } = this.options;
    if (!team || !this.live) return undefined;
    return teamPolicySync({ home, team, bearer: this.bearer, live: this.live, policy, log });
  }

  /**
   * The mirror (mirror.ts) of every session in `databasePath`, woken by the store's change feed and by sign-in
   * changes; without a `team` section (or with `mirror: false`) it stays `off`, answering status only.
   */
  mirror(databasePath: string, store: Store): Mirror {
    const { team, identity } = this.options;
    return new Mirror({
      databasePath,
      team,
      changes: (listener) => store.subscribe(listener),
      settle: () => store.settle(),
      bearer: this.bearer,
      identityChanges: (listener) => identity.subscribe(() => listener()),
    });
  }
}
