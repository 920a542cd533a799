/**
 * `glassbox-server`: the team server's command line. Flags, with environment fallbacks for containers
 * (GLASSBOX_SERVER_*), and DATABASE_URL for the team's PostgreSQL. SIGTERM/SIGINT stop it gracefully.
 */
import { Command, Option } from 'commander';
import { startTeamServer } from './app.js';
import { parseServerConfig, ServerConfigError } from './config.js';

const env = (name: string) => process.env[`GLASSBOX_SERVER_${name}`];

/** Runs the CLI with `argv` (process.argv). Resolves once the server runs; exits the process on a signal. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('glassbox-server')
    .description(
      "The Glassbox team server: mirrors every engine's recordings, verifies their hash chains, lets auditors search them and routes approvals.\n" +
        'Without DATABASE_URL it runs an embedded PostgreSQL under --data-dir (a trial or a small team).',
    )
    .option('--port <port>', 'TCP port', env('PORT') ?? '8790')
    .option(
      '--host <address>',
      'listening address (0.0.0.0 behind a load balancer)',
      env('HOST') ?? '127.0.0.1',
    )
    .option(
      '--data-dir <dir>',
      'where the embedded PostgreSQL keeps its data (without DATABASE_URL)',
      env('DATA_DIR') ?? './glassbox-server-data',
    )
    .option('--issuer <url>', 'the OIDC issuer whose tokens are accepted', env('ISSUER'))
    .option(
      '--audience <aud>',
      "the audience access tokens must carry (often this server's URL)",
      env('AUDIENCE'),
    )
    .option(
      '--client-id <id>',
      'the public OIDC client engines and the dashboard sign in with',
      env('CLIENT_ID') ?? 'glassbox',
    )
    .addOption(
      new Option(
        '--token <kind>',
        'which token clients send: access_token (JWT) or id_token (providers with opaque access tokens)',
      )
        .choices(['access_token', 'id_token'])
        .default(env('TOKEN') ?? 'access_token'),
    )
    .option('--groups-claim <claim>', 'the claim holding groups', env('GROUPS_CLAIM') ?? 'groups')
    .option(
      '--auditors-group <group>',
      "members read everyone's sessions",
      env('AUDITORS_GROUP') ?? 'auditors',
    )
    .option(
      '--approver-group <group...>',
      'groups approvals may be routed to (repeat; default: any group a rule names)',
      env('APPROVER_GROUPS')?.split(',').filter(Boolean),
    )
    .option(
      '--retention-days <days>',
      'delete sessions whose last event is older than this many days, at start and hourly; integrity alerts are kept (default: keep everything)',
      env('RETENTION_DAYS'),
    )
    .option(
      '--public-url <url>',
      'the URL people open the dashboard at (default http://host:port)',
      env('PUBLIC_URL'),
    )
    .option(
      '--team-policy <file>',
      'a policy.json document engines apply on top of their own (re-read when it changes)',
      env('TEAM_POLICY'),
    )
    .option(
      '--log-level <level>',
      'fatal, error, warn, info, debug, trace or silent',
      env('LOG_LEVEL') ?? 'info',
    )
    .showHelpAfterError();
  program.parse(argv);
  const o = program.opts<Record<string, string | string[] | undefined>>();
  let config: ReturnType<typeof parseServerConfig>;
  try {
    config = parseServerConfig({
      port: o.port,
      host: o.host,
      databaseUrl: process.env.DATABASE_URL,
      dataDir: o.dataDir,
      issuer: o.issuer,
      audience: o.audience,
      clientId: o.clientId,
      token: o.token,
      groupsClaim: o.groupsClaim,
      auditorsGroup: o.auditorsGroup,
      approverGroups: o.approverGroup,
      retentionDays: o.retentionDays,
      publicUrl: o.publicUrl,
      // Only from the environment: a flag's value would show in `ps`.
      sessionSecret: env('SESSION_SECRET'),
      teamPolicy: o.teamPolicy,
      logLevel: o.logLevel,
    });
  } catch (error) {
    if (!(error instanceof ServerConfigError)) throw error;
    process.stderr.write(`glassbox-server: ${error.message}\n`);
    process.exit(2);
  }
  let server: Awaited<ReturnType<typeof startTeamServer>>;
  try {
    server = await startTeamServer(config);
  } catch (error) {
    process.stderr.write(`glassbox-server: could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'stopping');
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
