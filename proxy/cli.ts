import { existsSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { addApprovalCommands } from './cli/approval-commands.js';
import { addClaudeCodeCommands } from './cli/claude-code-commands.js';
import { anthropicUrlFor } from './cli/engine-finder.js';
import { applyEnvCommand, cliCommand, detectShell, envLines, SHELLS, type Shell } from './cli/env.js';
import { EXPORT_FORMATS, type ExportFormat, exportHar, exportJsonl, formatRefusal } from './cli/export.js';
import { exportSql } from './cli/export-sql.js';
import { counted } from './cli/format.js';
import { addIdentityCommands } from './cli/identity-commands.js';
import { addPgCommands } from './cli/pg-commands.js';
import { addPolicyCommands } from './cli/policy-commands.js';
import { matchLine, noSessionsLine } from './cli/search-lines.js';
import { sessionsTable } from './cli/sessions-table.js';
import { renderSession } from './cli/show.js';
import { addTeamCommands } from './cli/team-commands.js';
import { upstreamNotice } from './cli/upstream-notice.js';
import { describeError, UserError } from './common/errors.js';
import { nowMicros } from './common/time.js';
import { glassboxVersion } from './common/version.js';
import { glassboxHome, homePaths, loadConfig, parsePort } from './config.js';
import { Engine } from './engine.js';
import { privateUmask } from './home-permissions.js';
import { type SearchMatch, searchMatches } from './search/snippet.js';
import { type ShownStatus, shownActivity } from './store/activity.js';
import { Store } from './store/store.js';
import type { Session, SessionFilter } from './store/types.js';

/**
 * The `glassbox` command line. `argv` is process.argv. Resolves when the command is done (for `serve`, when
 * the engine has stopped); sets process.exitCode for failures instead of throwing.
 */
export async function main(argv: string[]): Promise<void> {
  // Whatever a command creates under GLASSBOX_HOME (config, vault, the database's WAL) is its owner's only.
  privateUmask();
  quietOnClosedPipe();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof UserError) {
      console.error(`glassbox: ${error.message}`);
      process.exitCode = error.exitCode;
      return;
    }
    console.error(`glassbox: unexpected error: ${describeError(error)}`);
    if (process.env.GLASSBOX_DEBUG) console.error(error);
    process.exitCode = 1;
  }
}

function buildProgram(): Command {
  const program = new Command('glassbox')
    .description(
      'Record what AI agents send to the Anthropic API and to PostgreSQL databases, verify it, and read it back.\n' +
        'Start with `glassbox serve`; add a database with `glassbox pg add`.',
    )
    .version(glassboxVersion())
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(`glassbox: ${text.replace(/^error: /, '')}`) });

  program
    .command('serve')
    .description(
      'run the engine: the Anthropic proxy, a PostgreSQL listener per connection and the dashboard (Ctrl+C stops it)',
    )
    .option('--anthropic-port <port>', 'port of the Anthropic proxy (default 8787)', (v) =>
      portArg(v, '--anthropic-port'),
    )
    .option('--api-port <port>', 'port of the control API and dashboard (default 8789)', (v) =>
      portArg(v, '--api-port'),
    )
    .option('--anthropic-upstream <url>', 'where requests go (default https://api.anthropic.com)')
    .action(serve);

  program
    .command('sessions')
    .description('list recorded sessions, newest first')
    .option('--json', 'print a JSON array of session objects')
    .option('--limit <n>', 'how many', (v) => intArg(v, '--limit', 1, 10_000), 20)
    .addOption(
      new Option('--kind <kind>', 'only this kind: anthropic (or claude), postgres, http (recording pauses)')
        .choices(['anthropic', 'claude', 'postgres', 'http'])
        .argParser((v) => (v === 'claude' ? 'anthropic' : v)),
    )
    .addOption(
      new Option('--status <status>', 'only this status, as the STATUS column shows it').choices(
        SHOWN_STATUSES,
      ),
    )
    .option('--search <words>', 'only sessions whose prompts, replies, tool calls or SQL contain these words')
    .option('--person <who>', "only this signed-in person's sessions: subject or email (any case)")
    .option('--group <name>', "only sessions of people in this group (from the identity provider's claim)")
    .action(listSessions);

  program
    .command('show')
    .description('print a session as a readable transcript')
    .argument('<id>', 'session id, a unique prefix of it, or its external id')
    .option('--json', 'print {session, events} as JSON')
    .action(show);

  program
    .command('export')
    .description(
      'write a session as JSON Lines, HAR (Claude sessions) or a replayable SQL script (PostgreSQL)',
    )
    .argument('<id>', 'session id, prefix or external id')
    .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).default('jsonl'))
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .action(exportSession);

  program
    .command('verify')
    .description("recompute sessions' hash chains; exit 1 naming the first broken seq")
    .argument('[id]', 'one session (default: all)')
    .action(verify);

  addPgCommands(program);
  addPolicyCommands(program);
  addApprovalCommands(program);
  addClaudeCodeCommands(program);
  addIdentityCommands(program);
  addTeamCommands(program);

  program
    .command('env')
    .description('print the lines that point agents in your shell at Glassbox')
    .addOption(new Option('--shell <shell>', 'shell syntax (default: from $SHELL)').choices(SHELLS))
    .action((options: { shell?: Shell }) => {
      const home = glassboxHome();
      const shell = options.shell ?? detectShell();
      const vars = { ANTHROPIC_BASE_URL: anthropicUrlFor(home) };
      process.stdout.write(`${envLines(shell, vars).join('\n')}\n`);
    });

  return program;
}

interface ServeOptions {
  anthropicPort?: number;
  apiPort?: number;
  anthropicUpstream?: string;
}

async function serve(options: ServeOptions): Promise<void> {
  const home = glassboxHome();
  const config = loadConfig(home, options);
  const engine = await Engine.start({
    home,
    config,
    log: (line, level) => (level === 'warn' ? console.error(`glassbox: ${line}`) : console.log(line)),
  });
  // Last resort: a bug in one connection's handling must not end every session. Each handler already
  // answers its own client; whatever still escapes is reported and the engine goes on.
  process.on('uncaughtException', (error) => {
    console.error(
      `glassbox: unexpected error (the engine keeps running; please report it): ${describeError(error)}`,
    );
  });
  // One line when the upstream starts failing and one when it answers again, never one per request.
  engine.anthropic.health.subscribe((change) => {
    const line = upstreamNotice(change);
    if (line) process.stderr.write(`${line}\n`);
  });
  const { anthropicUrl, dashboardUrl, database } = engine.addresses;
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`Glassbox ${glassboxVersion()} is recording to ${database}`);
  out(`  Anthropic proxy  ${anthropicUrl}  →  ${config.anthropic.upstream}`);
  out(`  Dashboard        ${dashboardUrl}`);
  for (const connection of engine.addresses.postgres) {
    out(`  PostgreSQL       ${connection.url}  →  ${connection.upstream}`);
  }
  if (engine.recovered > 0) {
    out(
      `  Recovered        ${counted(engine.recovered, 'session')} a previous run left open, now marked interrupted`,
    );
  }
  out();
  const shell = detectShell();
  out(`Point your agents at it (paste into your shell, or run \`${applyEnvCommand(shell, cliCommand())}\`):`);
  out(`  ${envLines(shell, { ANTHROPIC_BASE_URL: anthropicUrl }).join('\n  ')}`);
  out();
  out('Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        out(`Second ${signal}: exiting without waiting.`);
        process.exit(130);
      }
      stopping = true;
      out(`\n${signal}: stopping (waiting up to ${config.shutdownGraceMs} ms for replies still streaming)…`);
      engine.stop().then(
        () => {
          out('Stopped. Live sessions were closed.');
          resolve();
        },
        (error: unknown) => {
          console.error(`glassbox: error while stopping: ${describeError(error)}`);
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** Opens the store for a read command, or returns undefined when nothing was ever recorded here. */
function openExisting(): Store | undefined {
  const { database } = homePaths(glassboxHome());
  return existsSync(database) ? Store.open(database) : undefined;
}

function withStore<T>(use: (store: Store) => T, empty: () => T): T {
  const store = openExisting();
  if (!store) return empty();
  try {
    return use(store);
  } finally {
    store.close();
  }
}

function findSession(store: Store, id: string): Session {
  const found = store.resolveSession(id);
  if (!found) throw new UserError(`no session matches "${id}" (see \`${cliCommand()} sessions\`)`);
  if (Array.isArray(found)) {
    const more = found.length >= 5 ? ', …' : '';
    throw new UserError(
      `"${id}" is ambiguous: it matches sessions ${found.map((s) => s.id).join(', ')}${more}; give more characters`,
    );
  }
  return found;
}

function listSessions(options: {
  json?: boolean;
  limit: number;
  kind?: Session['kind'];
  status?: ShownStatus;
  search?: string;
  person?: string;
  group?: string;
}) {
  const { sessions, matches } = withStore(
    (store) => {
      const { search: text, person, group } = options;
      const filter = { limit: options.limit, kind: options.kind, text, person, group };
      const found = listShown(store, filter, options.status);
      const ids = found.map((s) => s.id);
      return { sessions: found, matches: text ? searchMatches(store, ids, text) : {} };
    },
    () => ({ sessions: [], matches: {} as Record<string, SearchMatch> }),
  );
  if (options.json) {
    const listed = sessions.map((s) => (matches[s.id] ? { ...s, match: matches[s.id] } : s));
    return void process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
  }
  if (sessions.length === 0) return void process.stdout.write(`${noSessionsLine(options)}\n`);
  const under = (session: Session) => {
    const match = matches[session.id];
    return match ? [matchLine(match)] : [];
  };
  process.stdout.write(sessionsTable(sessions, nowMicros(), under));
}

function show(id: string, options: { json?: boolean }) {
  withStore(
    (store) => {
      const session = findSession(store, id);
      const events = [...store.iterateEvents(session.id)];
      if (options.json) return void process.stdout.write(`${JSON.stringify({ session, events }, null, 2)}\n`);
      process.stdout.write(printable(renderSession(session, events, store.inflight(session.id))));
    },
    () => {
      throw new UserError(`no session matches "${id}": nothing has been recorded in ${glassboxHome()} yet`);
    },
  );
}

function exportSession(id: string, options: { format: ExportFormat; output?: string }) {
  withStore(
    (store) => {
      const session = findSession(store, id);
      const events = store.iterateEvents(session.id);
      const refusal = formatRefusal(session, options.format);
      if (refusal) throw new UserError(`--format ${refusal}`);
      const text =
        options.format === 'har'
          ? exportHar(session, events, glassboxVersion())
          : options.format === 'sql'
            ? exportSql(session, events)
            : [...exportJsonl(session, events)].join('');
      if (options.output) {
        writeFileSync(options.output, text);
        process.stderr.write(
          `Wrote ${options.format.toUpperCase()} of session ${session.id} to ${options.output}\n`,
        );
      } else {
        process.stdout.write(text);
      }
    },
    () => {
      throw new UserError(`no session matches "${id}": nothing has been recorded yet`);
    },
  );
}

function verify(id: string | undefined) {
  withStore(
    (store) => {
      const ids = id ? [findSession(store, id).id] : store.allSessionIds();
      let broken = 0;
      for (const sessionId of ids) {
        const verdict = store.verifySession(sessionId);
        if (verdict.intact) {
          process.stdout.write(`ok      ${sessionId}  ${counted(verdict.events, 'event')}, chain intact\n`);
        } else {
          broken++;
          process.stdout.write(`BROKEN  ${sessionId}  at seq ${verdict.brokenAtSeq}: ${verdict.reason}\n`);
        }
      }
      if (ids.length === 0) process.stdout.write('No sessions to verify.\n');
      if (broken > 0) {
        process.stderr.write(`${broken} of ${counted(ids.length, 'session')} failed verification.\n`);
        process.exitCode = 1;
      }
    },
    () => {
      if (id) throw new UserError(`no session matches "${id}": nothing has been recorded yet`);
      process.stdout.write('No sessions to verify.\n');
    },
  );
}

/**
 * Recorded text (model output, SQL, rows) shown on a terminal with control characters made visible, so a
 * recording cannot move the cursor, recolour or retitle the terminal of whoever reads it.
 */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this function's purpose
  const control = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
  return text.replace(control, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function portArg(value: string, flag: string): number {
  try {
    return parsePort(value, flag);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function intArg(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
}

/** The statuses `glassbox sessions --status` takes: as its STATUS column shows them. */
const SHOWN_STATUSES: ShownStatus[] = ['live', 'idle', 'closed', 'interrupted'];

/**
 * Sessions newest first, filtered by the status people see: `live` and `idle` are both stored as live and
 * told apart by {@link shownActivity} now, so for those the store is asked for all live ones and the list
 * is cut to `limit` after.
 */
function listShown(store: Store, filter: SessionFilter & { limit: number }, status?: ShownStatus): Session[] {
  if (status !== 'live' && status !== 'idle') return store.listSessions({ ...filter, status });
  const now = nowMicros();
  return store
    .listSessions({ ...filter, status: 'live', limit: 10_000 })
    .filter((session) => shownActivity(session, now).status === status)
    .slice(0, filter.limit);
}

/**
 * A reader that stops early (`glassbox show ID --json | head`) closes the pipe: the rest of the output has
 * nowhere to go, which is no error of ours. Exit quietly, as Unix tools do, instead of with a stack trace.
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}
