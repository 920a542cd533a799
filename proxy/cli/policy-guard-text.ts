/**
 * The guardrails and approvals part of `glassbox policy show` and `policy check`: the rules in the order
 * they are tried, each with its action, id, message and match, and the approvals settings.
 */
import type { EffectivePolicy } from '../policy/effective.js';
import { formatDuration } from '../policy/guard/rule-schema.js';
import type { EffectiveGuardRule } from '../policy/guard/rules.js';
import { counted } from './format.js';

/** One line: guardrails on or off, how many rules (how many built-in), how approvals wait. */
export function guardSummary(policy: EffectivePolicy): string {
  const { guardrails, approvals } = policy;
  const builtin = guardrails.rules.filter((r) => r.builtin).length;
  const rules = `${counted(guardrails.rules.length, 'guard rule')} (${builtin} built-in)`;
  return [
    guardrails.enabled ? `guardrails on, ${rules}` : `guardrails off (${rules} not applied)`,
    `approvals ${approvals.mode}, expire after ${formatDuration(approvals.timeoutMs)}`,
  ].join(', ');
}

/** The `Guardrails` and `Approvals` sections of `policy show`. */
export function describeGuard(policy: EffectivePolicy): string[] {
  const { guardrails, approvals } = policy;
  const idWidth = Math.max(...guardrails.rules.map((r) => r.id.length), 2);
  return [
    `Guardrails: ${guardrails.enabled ? 'on' : 'off (the rules below are not applied)'}; the first rule that matches decides, otherwise allowed${guardrails.defaults ? '' : '; built-in rules off'}`,
    ...(guardrails.rules.length === 0
      ? ['  (no rules)']
      : guardrails.rules.flatMap((rule) => [
          `  ${rule.action.padEnd(8)} ${rule.id.padEnd(idWidth)}  ${sourceLabel(rule)}${rule.message}`,
          `  ${''.padEnd(8)} ${''.padEnd(idWidth)}  when ${describeMatch(rule.match)}`,
          ...(rule.route
            ? [
                `  ${''.padEnd(8)} ${''.padEnd(idWidth)}  decided by group ${rule.route.group} on the team server${rule.route.allowSelfApproval ? ' (self-approval allowed)' : ''}`,
              ]
            : []),
        ])),
    '',
    `Approvals: ${approvals.mode === 'hold' ? 'hold the operation until decided' : 'refuse at once, let it through once when approved (retry)'}; expire after ${formatDuration(approvals.timeoutMs)}; "for the session" lasts ${formatDuration(approvals.sessionScopeMs)}; engine not running: ${approvals.engineDown}`,
  ];
}

/**
 * A rule's match in the document's own words, so people learn the fields: `sql: command=DROP *`,
 * `shell: command=rm flags=recursive,force outsideCwd=true`, alternatives joined by ` | or `.
 */
export function describeMatch(match: EffectiveGuardRule['match']): string {
  const value = (v: unknown): string =>
    Array.isArray(v)
      ? v.map(value).join(',')
      : typeof v === 'object' && v !== null
        ? `{${fields(v as Record<string, unknown>)}}`
        : String(v);
  const fields = (o: Record<string, unknown>) =>
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${value(v)}`)
      .join(' ');
  const kinds = (['sql', 'shell', 'file'] as const)
    .filter((kind) => match[kind] !== undefined)
    .map((kind) => `${kind}: ${fields(match[kind] as Record<string, unknown>)}`);
  const common = fields({ connection: match.connection, groups: match.groups });
  const parts = [kinds.length > 0 ? kinds.join(' | or ') : 'any operation'];
  if (common) parts.push(common);
  return parts.join(', ');
}

/** `(team) `, `(local) ` or `(built-in) ` before a rule's message; nothing for a local rule without a team policy. */
function sourceLabel(rule: EffectiveGuardRule): string {
  if (rule.source === 'team') return '(team) ';
  if (rule.source === 'local') return '(local) ';
  return rule.builtin ? '(built-in) ' : '';
}
