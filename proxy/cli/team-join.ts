/**
 * `glassbox team join URL`: reads the team server's `/v1/info`, writes config.json's `team` and `identity`
 * sections from it, signs in as `glassbox login` does (unless `--no-login`, or already signed in there), and
 * checks that the server accepts the token. Safe to run again. Progress and warnings go to stderr; results to
 * stdout.
 */
import type { Command } from 'commander';
import { UserError } from '../common/errors.js';
import { glassboxHome, homePaths } from '../config.js';
import { editConfig } from '../config-edit.js';
import { sameIssuer } from '../identity/settings.js';
import { readSignInState } from '../identity/sign-in-state.js';
import { personText } from '../identity/signin.js';
import { storeForState } from '../identity/token-store.js';
import type { TokenSet } from '../identity/types.js';
import { runningEngine } from '../lock.js';
import { applyJoin, fetchServerInfo, type JoinChanges, serverRefusal } from '../sync/join.js';
import type { ServerInfo } from '../sync/protocol.js';
import { teamBaseUrl } from '../sync/settings.js';
import { type LoginOptions, login, seconds } from './identity-commands.js';

interface JoinOptions extends LoginOptions {
  /** False with --no-login. */
  login: boolean;
}

/** Adds `join` to the `team` group. */
export function addTeamJoin(team: Command): void {
  team
    .command('join')
    .description(
      "join a team server: read its /v1/info, write config.json's team and identity sections, then sign in " +
        'as `glassbox login` does (run it again at any time: it changes only what differs)',
    )
    .argument('<url>', 'the team server, e.g. https://glassbox.example.com')
    .option('--device', 'sign in with a code on another device (OAuth device flow) instead of a browser here')
    .option('--no-open', 'print the sign-in URL for a browser on this machine instead of opening one')
    .option(
      '--timeout <s>',
      'how long to wait for the sign-in, seconds (as `glassbox login --timeout`)',
      seconds,
    )
    .option('--no-login', 'only write config.json; sign in later with `glassbox login`')
    .action(join);
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function join(url: string, options: JoinOptions): Promise<void> {
  const home = glassboxHome();
  const info = await fetchServerInfo(url);
  const base = teamBaseUrl({ url });
  say(`Team server ${base}: glassbox-server ${info.version}, sign-in at ${info.issuer}.`);
  let changes: JoinChanges = { changed: false, identityChanged: false, warnings: [] };
  editConfig(home, (raw) => {
    changes = applyJoin(raw, base, info);
  });
  for (const warning of changes.warnings) say(`glassbox: warning: ${warning}`);
  const paths = homePaths(home);
  const file = paths.config;
  const engine = changes.changed ? runningEngine(paths.lock) : undefined;
  if (engine !== undefined) {
    // The engine reads the team and identity sections at start (proxy/live-config.ts restartOnly).
    say(
      `The running engine (pid ${engine}) reads the team and identity settings at start: restart it (or the ` +
        `desktop app) to mirror to ${base}.`,
    );
  }
  process.stdout.write(
    changes.changed
      ? `Wrote the team server and its sign-in to ${file}.\n`
      : `${file} already joins ${base}.\n`,
  );
  if (!options.login) {
    process.stdout.write(`Sign in with \`glassbox login\` to start mirroring to ${base}.\n`);
    return;
  }
  const current = changes.identityChanged ? null : signedInTokens(home, info);
  if (current) {
    say(
      `Already signed in as ${personText(current.claims)} at ${info.issuer} (\`glassbox login\` signs in again).`,
    );
  }
  const tokens = current ?? (await login(options));
  const bearer = info.token === 'id_token' ? tokens.id_token : tokens.access_token;
  const refusal = bearer ? await serverRefusal(base, bearer) : `the provider issued no ${info.token}`;
  if (refusal) {
    throw new UserError(
      `The team server at ${base} refused your sign-in: ${refusal}. Whoever runs it can check that its ` +
        '--issuer, --audience and --token match what your provider issues.',
      1,
    );
  }
  process.stdout.write(
    `Joined ${base}: the server accepts your sign-in, and the engine mirrors your sessions to it.\n`,
  );
}

/**
 * The stored tokens of a valid sign-in at the server's issuer and client whose token can be sent now (an
 * access token more than a minute from expiry), or null: sign in then.
 */
function signedInTokens(home: string, info: ServerInfo): TokenSet | null {
  const state = readSignInState(home);
  if (state.status !== 'signed-in' || !state.claims || !sameIssuer(state.claims.issuer, info.issuer))
    return null;
  try {
    const tokens = storeForState(home, state, process.env)?.read();
    if (!tokens || tokens.token_fingerprint !== state.token_fingerprint || tokens.client_id !== info.clientId)
      return null;
    return info.token === 'id_token' || tokens.expires_at > Date.now() + 60_000 ? tokens : null;
  } catch {
    return null;
  }
}
