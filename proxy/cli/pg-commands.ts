import { type Command, InvalidArgumentError, Option } from 'commander';
import { describeError, UserError } from '../common/errors.js';
import { glassboxHome, homePaths, loadConfig, parsePort, UPSTREAM_TLS_MODES } from '../config.js';
import { FileVault } from '../identity/vault.js';
import {
  existsMessage,
  listConnections,
  parseUpstreamUrl,
  prepareConnection,
  removeConnection,
  saveConnection,
} from '../postgres/connections.js';
import { checkUpstreamLogin } from '../postgres/login-check.js';
import { tellRunningEngine } from './running-engine.js';
import { choosePassword } from './upstream-password.js';

interface AddOptions {
  upstream: string;
  databases?: string;
  listen?: number;
  upstreamTls?: string;
  upstreamCa?: string;
  upstreamPasswordStdin?: boolean;
  /** False with --no-check. */
  check: boolean;
}

/** Adds `glassbox pg add | list | remove` to the program. */
export function addPgCommands(program: Command): void {
  const pg = program.command('pg').description('PostgreSQL connections Glassbox proxies and records');
  pg.command('add')
    .description(
      'add a connection after testing its upstream login; the password goes to the credential vault, never to config.json',
    )
    .argument('<name>', 'connection name; clients log in with it as their user name')
    .requiredOption(
      '--upstream <url>',
      'postgres://user@host:port/database of the real server (a password here is visible in ps: prefer the prompt, --upstream-password-stdin, PGPASSWORD or ~/.pgpass)',
    )
    .option(
      '--databases <list>',
      "databases clients may open besides the URL's: comma-separated names, or '*' for any the upstream role may open",
    )
    .option('--upstream-password-stdin', 'read the upstream password from standard input (one line)')
    .option('--no-check', 'save the connection without testing the upstream login')
    .option('--listen <port>', 'local port on 127.0.0.1 (default: the first free one from 6432)', (v) =>
      portArg(v, '--listen'),
    )
    .addOption(
      new Option('--upstream-tls <mode>', 'TLS to the upstream (default prefer)').choices(UPSTREAM_TLS_MODES),
    )
    .option('--upstream-ca <file>', 'CA certificate (PEM) to trust for --upstream-tls verify-full')
    .action(add);
  pg.command('list')
    .description('show connections, the databases they serve and the local URL clients use')
    .option('--json', 'print a JSON array of {name, url, listen, upstream, upstreamTls, databases}')
    .action((options: { json?: boolean }) => {
      const home = glassboxHome();
      const connections = listConnections(loadConfig(home), new FileVault(homePaths(home).vault));
      if (options.json) return void process.stdout.write(`${JSON.stringify(connections, null, 2)}\n`);
      if (connections.length === 0) {
        return void process.stdout.write(
          'No PostgreSQL connections. Add one: glassbox pg add NAME --upstream postgres://user@host/db\n',
        );
      }
      for (const c of connections) {
        const databases = c.databases === '*' ? '* (any the upstream role may open)' : c.databases.join(', ');
        process.stdout.write(
          `${c.name}\n  local      ${c.url}\n  upstream   ${c.upstream} (TLS: ${c.upstreamTls})\n  databases  ${databases}\n`,
        );
      }
    });
  pg.command('remove')
    .description('remove a connection and its stored credentials (a running engine closes it at once)')
    .argument('<name>')
    .action(async (name: string) => {
      const home = glassboxHome();
      removeConnection(home, new FileVault(homePaths(home).vault), name);
      process.stdout.write(`Removed PostgreSQL connection "${name}" and its credentials.\n`);
      const engine = await tellRunningEngine(home, name, undefined);
      if (engine) process.stdout.write(`${engine}\n`);
    });
}

async function add(name: string, options: AddOptions): Promise<void> {
  const home = glassboxHome();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const note = (line: string) => process.stderr.write(`${line}\n`);
  const url = parseUpstreamUrl(options.upstream);
  // Before asking for a password: a name already taken is refused whatever the password.
  if (loadConfig(home).postgres.connections[name]) throw new UserError(existsMessage(name));
  const chosen = await choosePassword(url, {
    fromStdin: options.upstreamPasswordStdin === true,
    env: process.env,
    stdin: process.stdin,
    stderr: process.stderr,
  });
  if (chosen.from === 'the URL') {
    note(
      'Note: a password in --upstream is visible to other local users (ps) and stays in your shell history; ' +
        'next time leave it out to be prompted, or use --upstream-password-stdin, PGPASSWORD or ~/.pgpass.',
    );
  } else if (chosen.from && chosen.from !== 'the prompt') {
    note(`Using the upstream password from ${chosen.from}.`);
  }
  const prepared = prepareConnection(home, name, options.upstream, {
    ...options,
    ...(chosen.password !== undefined ? { upstreamPassword: chosen.password } : {}),
  });
  const where = `${url.user}@${url.host}:${url.port}/${url.database}`;
  if (options.check) {
    try {
      const login = await checkUpstreamLogin(prepared);
      out(
        `Upstream login OK: ${where}, PostgreSQL ${login.serverVersion ?? '(version not reported)'}, TLS ${login.tls ?? 'off'}.`,
      );
    } catch (error) {
      const how =
        chosen.password === undefined
          ? 'Give the password: run it on a terminal to be asked for it, or use --upstream-password-stdin ' +
            '(a pipe alone is not read), PGPASSWORD or ~/.pgpass; or add --no-check to save the connection untested.'
          : 'Fix the URL or the password and run it again, or add --no-check to save the connection untested.';
      throw new UserError(
        `the upstream login failed, so nothing was saved: ${describeError(error)}\n${how}`,
        1,
      );
    }
  }
  const added = saveConnection(home, new FileVault(homePaths(home).vault), prepared);
  const databases = added.databases === '*' ? 'any' : added.databases.join(', ');
  out(
    `Added PostgreSQL connection "${added.name}" → ${added.upstream} (TLS: ${added.upstreamTls}; databases: ${databases}).`,
  );
  const engine = await tellRunningEngine(home, added.name, added.listen);
  out(engine ?? 'Clients use (once `glassbox serve` runs):');
  out(`  ${added.url}`);
}

function portArg(value: string, flag: string): number {
  try {
    return parsePort(value, flag);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
