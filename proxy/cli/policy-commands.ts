import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../common/errors.js';
import { glassboxHome, homePaths, loadConfig } from '../config.js';
import type { EngineLog } from '../live-config.js';
import { type CompiledPolicy, compilePolicy, guardMatcher } from '../policy/compile.js';
import { BUILTIN_DETECTORS } from '../policy/detectors/index.js';
import { type ColumnAction, defaultPolicy, type PolicyDocument, readPolicyFile } from '../policy/document.js';
import { type EffectivePolicy, effectivePolicy } from '../policy/effective.js';
import { loadGuardClassifiers } from '../policy/guard/component.js';
import type { GuardClassifiers } from '../policy/guard/guard.js';
import { loadMaskKey } from '../policy/masking/mask-key.js';
import { compileLayered, type TeamPolicy } from '../policy/team-layers.js';
import { teamBaseUrl } from '../sync/settings.js';
import { readCachedTeamPolicy } from '../sync/team-policy-sync.js';
import { counted } from './format.js';
import { addExplainCommand } from './policy-explain.js';
import { describeGuard, guardSummary } from './policy-guard-text.js';

/** The real classifiers for `glassbox policy explain` (the same as the engine's guard). */
async function guardClassifiers(): Promise<GuardClassifiers> {
  return loadGuardClassifiers();
}

/**
 * Adds `glassbox policy show | check | explain` and `glassbox mask` to the program.
 * @param classifiers the guard's classifiers for `policy explain` (default: {@link guardClassifiers})
 */
export function addPolicyCommands(
  program: Command,
  classifiers: () => Promise<GuardClassifiers> = guardClassifiers,
): void {
  const policy = program
    .command('policy')
    .description(
      'the policy: masking and guardrails ($GLASSBOX_HOME/policy.json; without it the built-in default applies)',
    );
  policy
    .command('show')
    .description(
      'print the policy in force: detectors on or off with their actions, column rules, custom patterns, guard rules in order, approvals',
    )
    .option('--json', 'print the effective policy as JSON (defaults included)')
    .action((options: { json?: boolean }) => {
      const { path, compiled } = readPolicy();
      const effective = compiled.effective;
      if (options.json) return void process.stdout.write(`${JSON.stringify(effective, null, 2)}\n`);
      process.stdout.write(describe(effective, path));
    });
  policy
    .command('check')
    .description('validate a policy file; exit 2 naming each invalid field and the fix')
    .argument('[file]', 'the file to check (default: $GLASSBOX_HOME/policy.json)')
    .action((file: string | undefined) => {
      const path = file ? resolve(file) : homePaths(glassboxHome()).policy;
      const doc = readPolicyFile(path);
      if (!doc) {
        if (file) throw new UserError(`${path} does not exist`);
        return void process.stdout.write(`${path} does not exist: the built-in default policy applies\n`);
      }
      const effective = effectivePolicy(doc);
      process.stdout.write(`${path}: valid\n  ${summary(effective)}\n  ${guardSummary(effective)}\n`);
      const inForce = readPolicy(doc).compiled.effective;
      if (inForce.team) {
        process.stdout.write(
          `With the team policy (version ${inForce.team.version}) on top — what applies:\n  ${summary(inForce)}\n  ${guardSummary(inForce)}\n  ${sourceSummary(inForce)}\n`,
        );
      }
    });
  addExplainCommand(policy, () => readPolicy().compiled, classifiers);
  program
    .command('mask')
    .description('print a text masked by the policy in force, as the proxies mask what they record')
    .argument('[file]', 'the text to mask, or - for standard input (the default)')
    .option('--json', 'print {text, spans: [{detector, start, end, action}], counts}')
    .action(async (file: string | undefined, options: { json?: boolean }) => {
      const text = file && file !== '-' ? readFileSync(file, 'utf8') : await readStdin();
      const hashKey = loadMaskKey(homePaths(glassboxHome()).maskKey);
      const masked = compileInForce(hashKey).text.mask(text);
      if (!options.json) return void process.stdout.write(masked.text);
      const spans = masked.spans.map(({ detector, start, end, action }) => ({
        detector,
        start,
        end,
        action,
      }));
      process.stdout.write(
        `${JSON.stringify({ text: masked.text, spans, counts: masked.counts }, null, 2)}\n`,
      );
    });
}

/**
 * The policy in force for this data directory, as the engine reads it: policy.json (or `local`), else the
 * default; with the team policy the engine last fetched on top when config.json names a team server. Without
 * a team policy only what is shown is built (the effective policy and the guard rules), as before; with one,
 * the layers are compiled with a throwaway hash key (for showing and explaining, not for masking).
 * @throws PolicyError when policy.json is invalid; UserError when config.json is
 */
function readPolicy(local?: PolicyDocument): {
  path: string | null;
  compiled: Pick<CompiledPolicy, 'effective' | 'guard' | 'version'>;
} {
  const { path, base, team } = readLayers(local);
  if (team) return { path, compiled: compileLayered(team, base, { hashKey: Buffer.alloc(32) }) };
  const effective = effectivePolicy(base);
  return { path, compiled: { effective, guard: guardMatcher(base), version: effective.version } };
}

/** policy.json (or `local`, else the default) and the cached team policy when config.json names a team server. */
function readLayers(local?: PolicyDocument): {
  path: string | null;
  base: PolicyDocument;
  team: TeamPolicy | null;
} {
  const home = glassboxHome();
  const { policy } = homePaths(home);
  const doc = local ?? readPolicyFile(policy);
  const config = loadConfig(home);
  const warn: EngineLog = (line) => process.stderr.write(`glassbox: ${line}\n`);
  const team = config.team ? readCachedTeamPolicy(home, teamBaseUrl(config.team), warn) : null;
  return { path: doc ? policy : null, base: doc ?? defaultPolicy(), team };
}

/** The policy in force compiled with the installation's hash key, for `glassbox mask`. */
function compileInForce(hashKey: Buffer): CompiledPolicy {
  const { base, team } = readLayers();
  return team ? compileLayered(team, base, { hashKey }) : compilePolicy(base, { hashKey });
}

/** One line: how many rules each source gives (team, local, default). */
function sourceSummary(policy: EffectivePolicy): string {
  const count = new Map<string, number>();
  const add = (source: string | undefined) =>
    count.set(source ?? 'local', (count.get(source ?? 'local') ?? 0) + 1);
  for (const rule of policy.guardrails.rules) add(rule.source ?? (rule.builtin ? 'default' : 'local'));
  for (const rule of policy.columns) add(rule.source);
  for (const rule of policy.custom) add(rule.source);
  return `rules by source: ${['team', 'local', 'default'].map((s) => `${s} ${count.get(s) ?? 0}`).join(', ')}`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** One line: how many detectors are on, the custom patterns, column rules, dictionary and outbound. */
function summary(policy: EffectivePolicy): string {
  const on = policy.detectors.filter((d) => d.enabled).length;
  const off = policy.detectors.length - on;
  const dictionary = policy.sensitiveColumns.enabled
    ? `sensitive column names: ${actionName(policy.sensitiveColumns.action)} ${policy.sensitiveColumns.wire ? 'in storage and on the wire' : 'in storage'}`
    : 'sensitive column names off';
  return [
    `${counted(on, 'detector')} on${off > 0 ? `, ${off} off` : ''}`,
    counted(policy.custom.length, 'custom pattern'),
    counted(policy.columns.length, 'column rule'),
    dictionary,
    `outbound ${policy.outbound.enabled ? `on (${counted(policy.outbound.detectors.length, 'detector')})` : 'off'}`,
  ].join(', ');
}

function actionName(action: ColumnAction): string {
  return action.type === 'partial' ? `partial (keep ${action.keep})` : action.type;
}

/** `glassbox policy show`: the effective policy as a list people read. */
function describe(policy: EffectivePolicy, path: string | null): string {
  const descriptions = new Map<string, string>(BUILTIN_DETECTORS.map((d) => [d.id, d.description]));
  for (const rule of policy.custom)
    descriptions.set(rule.id, rule.description ?? `/${rule.pattern}/${rule.flags}`);
  const idWidth = Math.max(...policy.detectors.map((d) => d.id.length), 2);
  const lines = [
    `Policy ${policy.version}: ${path ?? 'the built-in default (no policy.json)'}${policy.team ? `, with the team policy version ${policy.team.version} on top (a local rule may add to a team rule, never weaken it)` : ''}`,
    `  ${summary(policy)}`,
    `  ${guardSummary(policy)}`,
    '',
    'Detectors (text in every recording; custom patterns first)',
    ...policy.detectors.map((d) => {
      const state = d.enabled ? `on   ${actionName(d.action).padEnd(16)}` : `off  ${''.padEnd(16)}`;
      const outbound = `${d.outbound ? '  + outbound' : ''}${d.source === 'team' ? '  [team]' : ''}`;
      return `  ${state} ${d.id.padEnd(idWidth)}  ${descriptions.get(d.id) ?? ''}${outbound}`;
    }),
    '',
    'Custom patterns',
    ...(policy.custom.length === 0
      ? ['  (none)']
      : policy.custom.map((rule) => {
          const keywords = rule.keywords.length > 0 ? `  only with: ${rule.keywords.join(', ')}` : '';
          return `  ${rule.id}  /${rule.pattern}/${rule.flags}  ${actionName(rule.action)}${keywords}`;
        })),
    '',
    'Column rules (PostgreSQL results; the first that matches wins)',
    ...(policy.columns.length === 0
      ? ['  (none)']
      : policy.columns.map((rule) => {
          const where = rule.connection ? ` on connection ${rule.connection}` : '';
          const how = rule.action.type === 'none' ? 'not masked' : actionName(rule.action);
          const wire =
            rule.action.type === 'none' ? '' : rule.wire ? ', in storage and on the wire' : ', in storage';
          return `  ${rule.match}${where}: ${how}${wire}${rule.source ? `  [${rule.source}]` : ''}`;
        })),
    '',
    `Sensitive column names (whole words at the end of a name): ${
      policy.sensitiveColumns.enabled
        ? `${actionName(policy.sensitiveColumns.action)}, ${policy.sensitiveColumns.wire ? 'in storage and on the wire' : 'in storage only'}`
        : 'off'
    }`,
    ...(policy.sensitiveColumns.enabled ? [`  ${policy.sensitiveColumns.names.join(', ')}`] : []),
    '',
    `Outbound to the Anthropic API: ${
      policy.outbound.enabled ? `on, ${policy.outbound.detectors.join(', ') || '(no detector)'}` : 'off'
    }`,
    '',
    ...describeGuard(policy),
  ];
  return `${lines.join('\n')}\n`;
}
