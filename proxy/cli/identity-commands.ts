/**
 * `glassbox login | whoami | logout`: sign in with the company's OIDC provider (config.json's `identity`),
 * show who is signed in, sign out. Progress goes to stderr; the result line to stdout.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type * as client from 'openid-client';
import { glassboxHome, loadConfig } from '../config.js';
import { DEFAULT_BROWSER_TIMEOUT_MS, startBrowserSignIn, waitText } from '../identity/browser-flow.js';
import { noBrowserReason, openBrowser } from '../identity/browser-opener.js';
import { startDeviceSignIn } from '../identity/device-flow.js';
import { discover } from '../identity/discovery.js';
import { readSignInState } from '../identity/sign-in-state.js';
import { saveSignIn, signOut } from '../identity/sign-in-store.js';
import { requireIdentitySettings, signedInLine, signOutLine } from '../identity/signin.js';
import type { IdentitySettings, TokenSet } from '../identity/types.js';
import { whoamiJson, whoamiText } from './whoami-text.js';

/** The options of `glassbox login` (and of the sign-in `glassbox team join` starts). */
export interface LoginOptions {
  device?: boolean;
  /** False with --no-open. */
  open: boolean;
  /** --timeout, s */
  timeout?: number;
}

/** One progress line on stderr. */
function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Adds `login`, `whoami` and `logout` to the program. */
export function addIdentityCommands(program: Command): void {
  program
    .command('login')
    .description(
      'sign in with your company\'s identity provider (config.json "identity"): in the browser, or with a code ' +
        'on another device (--device; chosen automatically over SSH, in CI and without a display)',
    )
    .option('--device', 'sign in with a code on another device (OAuth device flow) instead of a browser here')
    .option('--no-open', 'print the sign-in URL for a browser on this machine instead of opening one')
    .option(
      '--timeout <s>',
      `how long to wait for the sign-in, seconds (browser: default ${DEFAULT_BROWSER_TIMEOUT_MS / 1000}; device: the code's life, which also caps it)`,
      seconds,
    )
    .action(async (options: LoginOptions) => {
      await login(options);
    });

  program
    .command('whoami')
    .description(
      'show who is signed in: issuer, subject, email, name, groups, expiry, token store (exit 1 if nobody)',
    )
    .option('--json', 'print the sign-in state as JSON (never a token)')
    .action((options: { json?: boolean }) => {
      const home = glassboxHome();
      const settings = loadConfig(home).identity;
      const state = readSignInState(home);
      const shown = whoamiText(state, settings);
      if (options.json) process.stdout.write(`${JSON.stringify(whoamiJson(state, settings), null, 2)}\n`);
      else process.stdout.write(shown.text);
      if (!shown.ok) process.exitCode = 1;
    });

  program
    .command('logout')
    .description(
      'sign out: revoke the refresh token at the provider where it allows, and forget the tokens here',
    )
    .action(async () => {
      const home = glassboxHome();
      const outcome = await signOut(home, process.env);
      process.stdout.write(`${signOutLine(outcome)}\n`);
    });
}

/** Parses `--timeout <s>`. @throws InvalidArgumentError outside 1–86400 */
export function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 86_400) {
    throw new InvalidArgumentError('must be a whole number of seconds from 1 to 86400');
  }
  return n;
}

/**
 * Signs in with config.json's `identity` section as `glassbox login` does (browser, or device flow with
 * `device` or where no browser can open), stores the tokens and prints who signed in.
 * @returns the stored tokens (for a caller that uses them at once, e.g. `team join`'s check)
 * @throws UserError when sign-in is not configured; IdentityError when the provider refuses or is unreachable
 */
export async function login(options: LoginOptions): Promise<TokenSet> {
  const home = glassboxHome();
  const settings = requireIdentitySettings(home, loadConfig(home).identity);
  const noBrowser = options.device || !options.open ? null : noBrowserReason();
  const config = await discover(settings);
  const timeoutMs = options.timeout === undefined ? undefined : options.timeout * 1000;
  let tokens: TokenSet;
  if (options.device || noBrowser) {
    if (noBrowser) {
      say(
        `No browser can open here (${noBrowser}), so you sign in with a code on another device. ` +
          '(`glassbox login --no-open` prints a link for a browser on this machine instead.)',
      );
    }
    tokens = await deviceLogin(config, settings, timeoutMs);
  } else {
    tokens = await browserLogin(config, settings, options.open, timeoutMs);
  }
  const store = await saveSignIn(home, tokens, process.env);
  if (store.warning) say(`glassbox: ${store.warning}`);
  process.stdout.write(`${signedInLine(tokens, store)}\n`);
  return tokens;
}

/**
 * Waits for a sign-in. Ctrl+C cancels it (the loopback listener closes, polling stops) and exits with 130
 * at once: nothing is stored yet, and openid-client's poll would otherwise notice only at its next step.
 */
async function untilDone<T>(
  pending: { result: Promise<T>; cancel(): void },
  show: () => Promise<void> | void,
): Promise<T> {
  const onInterrupt = () => {
    pending.cancel();
    say('\nSign-in cancelled.');
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    await show();
    return await pending.result;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

async function browserLogin(
  config: client.Configuration,
  settings: IdentitySettings,
  openIt: boolean,
  timeoutMs = DEFAULT_BROWSER_TIMEOUT_MS,
): Promise<TokenSet> {
  const pending = await startBrowserSignIn(config, settings, { timeoutMs, onProgress: say });
  return untilDone(pending, async () => {
    say(
      openIt
        ? `Opening your browser to sign in at ${settings.issuer}. If it does not open, open this URL yourself:`
        : `Open this URL in a browser on this machine to sign in at ${settings.issuer}:`,
    );
    say(`\n    ${pending.url}\n`);
    say(`Waiting for the browser to come back (up to ${waitText(timeoutMs)}; Ctrl+C to cancel)…`);
    if (openIt) {
      await openBrowser(pending.url, (why) =>
        say(`The browser could not be opened (${why}): open the URL above yourself.`),
      );
    }
  });
}

async function deviceLogin(
  config: client.Configuration,
  settings: IdentitySettings,
  timeoutMs: number | undefined,
): Promise<TokenSet> {
  const pending = await startDeviceSignIn(config, settings, { timeoutMs });
  return untilDone(pending, () => {
    say(`To sign in at ${settings.issuer}, open this page on any device:`);
    say(`\n    ${pending.verificationUri}\n`);
    say('and enter the code:');
    say(`\n    ${pending.userCode}\n`);
    if (pending.verificationUriComplete) {
      say(`(or open ${pending.verificationUriComplete}, which has the code filled in)`);
    }
    const wait = Math.min(timeoutMs ?? Number.POSITIVE_INFINITY, pending.expiresIn * 1000);
    say(`Waiting for you to finish there (the code is valid for ${waitText(wait)}; Ctrl+C to cancel)…`);
  });
}
