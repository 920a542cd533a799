import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { parsePolicy } from '../../proxy/policy/document.js';
import { decideWithoutFacts } from '../../proxy/policy/guard/rules.js';
import type { GuardContext } from '../../proxy/policy/guard/types.js';
import { compileLayered, maskStrength } from '../../proxy/policy/team-layers.js';
import { sql as sqlOperation, statement } from '../helpers/guard-facts.js';

const CONTEXT: GuardContext = { home: '/home/ana', cwd: '/home/ana/p', connection: 'app' };
const hashKey = Buffer.alloc(32);
const layered = (team: unknown, local: unknown = {}, version = 3) =>
  compileLayered({ version, raw: team, document: parsePolicy(team, 'team') }, parsePolicy(local, 'local'), {
    hashKey,
  });
const column = (name: string, table: string | null = 'public.staff') => ({ connection: 'app', table, name });
const sql = (command: string, effect: 'ddl' | 'delete' | 'read' = 'ddl') =>
  sqlOperation(command, statement({ effect, command, writes: ['public.orders'] }));

describe('the team policy on top of the local one', () => {
  it('keeps a team-masked column masked when the local policy says "none" for it', () => {
    const policy = layered(
      { columns: [{ match: 'salary', action: 'redact' }] },
      { columns: [{ match: 'salary', action: 'none' }] },
    );
    expect(policy.columns(column('salary'))).toMatchObject({
      action: { type: 'redact' },
      rule: 'column.salary',
    });
    // Without the team layer the local "none" would leave it unmasked.
    const alone = compilePolicy(parsePolicy({ columns: [{ match: 'salary', action: 'none' }] }, 'l'), {
      hashKey,
    });
    expect(alone.columns(column('salary'))).toBeUndefined();
  });

  it('lets a local rule mask more: a stronger action, another column, a team "none" column', () => {
    const policy = layered(
      {
        columns: [
          { match: 'salary', action: 'partial' },
          { match: 'bonus', action: 'none' },
        ],
      },
      {
        columns: [
          { match: 'salary', action: 'hash' },
          { match: 'bonus', action: 'redact' },
          { match: 'notes', action: 'redact' },
        ],
      },
    );
    expect(policy.columns(column('salary'))?.action).toEqual({ type: 'hash' });
    expect(policy.columns(column('bonus'))?.action).toEqual({ type: 'redact' });
    expect(policy.columns(column('notes'))?.action).toEqual({ type: 'redact' });
  });

  it('keeps the team dictionary when the local one is off or a local rule unmasks a dictionary name', () => {
    const policy = layered(
      { sensitiveColumns: { add: ['salary'] } },
      { sensitiveColumns: { enabled: false }, columns: [{ match: 'email', action: 'none' }] },
    );
    expect(policy.columns(column('salary'))?.action).toEqual({ type: 'redact' });
    expect(policy.columns(column('email'))?.action).toEqual({ type: 'redact' });
  });

  it('does not let the local policy turn off or weaken a detector the team names, but lets it strengthen one', () => {
    const policy = layered(
      { detectors: { 'pii.email': { enabled: true, action: 'partial' } } },
      { detectors: { 'pii.email': { action: 'redact' } } },
    );
    const email = policy.effective.detectors.find((d) => d.id === 'pii.email')!;
    expect(email).toMatchObject({ enabled: true, action: { type: 'redact' }, source: 'local' });
    expect(policy.text.mask('write to ana@example.com').text).not.toContain('ana@example.com');
    const weaker = layered(
      { detectors: { 'pii.email': { action: 'redact' } } },
      { detectors: { 'pii.*': { enabled: false } } },
    );
    expect(weaker.effective.detectors.find((d) => d.id === 'pii.email')).toMatchObject({
      enabled: true,
      source: 'team',
    });
    // What the team leaves out stays the local policy's to change.
    expect(weaker.effective.detectors.find((d) => d.id === 'pii.phone')).toMatchObject({
      enabled: false,
      source: 'local',
    });
  });

  it('applies the stronger guard decision: a team block stays a block, a team approve never becomes allow', () => {
    const team = {
      guardrails: {
        rules: [
          {
            id: 'team.no-truncate',
            action: 'block',
            message: 'no TRUNCATE',
            match: { sql: { command: ['TRUNCATE*'] } },
          },
          {
            id: 'team.hold-alter',
            action: 'approve',
            message: 'hold ALTER',
            match: { sql: { command: ['ALTER*'] } },
          },
        ],
      },
    };
    const local = {
      guardrails: {
        rules: [
          { id: 'local.allow', action: 'allow', match: { sql: { command: ['TRUNCATE*', 'ALTER*'] } } },
          { id: 'team.no-truncate', action: 'allow', match: { sql: { command: ['TRUNCATE*'] } } },
          {
            id: 'local.no-delete',
            action: 'block',
            message: 'no DELETE here',
            match: { sql: { effect: 'delete' } },
          },
        ],
      },
    };
    const policy = layered(team, local);
    expect(policy.guard.decide(sql('TRUNCATE TABLE'), CONTEXT)).toMatchObject({
      action: 'block',
      rule: { id: 'team.no-truncate', source: 'team' },
    });
    expect(policy.guard.decide(sql('ALTER TABLE'), CONTEXT)).toMatchObject({
      action: 'approve',
      rule: { id: 'team.hold-alter', source: 'team' },
    });
    expect(policy.guard.decide(sql('DELETE', 'delete'), CONTEXT)).toMatchObject({
      action: 'block',
      rule: { id: 'local.no-delete', source: 'local' },
    });
    // The built-in rules stay the local layer's: DROP is held by pg.drop, from the defaults.
    expect(policy.guard.decide(sql('DROP TABLE'), CONTEXT)).toMatchObject({
      action: 'approve',
      rule: { id: 'pg.drop', source: 'default' },
    });
    expect(policy.effective.guardrails.rules.map((r) => [r.id, r.source]).slice(0, 4)).toEqual([
      ['team.no-truncate', 'team'],
      ['team.hold-alter', 'team'],
      ['local.allow', 'local'],
      ['local.no-delete', 'local'],
    ]);
    expect(decideWithoutFacts(policy.guard, 'sql', CONTEXT)).toBeUndefined();
  });

  it('keeps the built-in rules when the team pins them, whatever the local policy says', () => {
    const policy = layered(
      { guardrails: { defaults: true } },
      { guardrails: { defaults: false, rules: [{ id: 'pg.drop', action: 'allow' }] } },
    );
    expect(policy.guard.decide(sql('DROP TABLE'), CONTEXT)).toMatchObject({
      action: 'approve',
      rule: { id: 'pg.drop', source: 'team' },
    });
  });

  it('orders masking strength: none < partial (fewer kept is stronger) < hash < redact', () => {
    const order = [
      { type: 'none' },
      { type: 'partial', keep: 8 },
      { type: 'partial', keep: 2 },
      { type: 'hash' },
      { type: 'redact' },
    ] as const;
    const strengths = order.map((a) => maskStrength(a));
    expect([...strengths].sort((a, b) => a - b)).toEqual(strengths);
    expect(new Set(strengths).size).toBe(order.length);
  });

  it('names the team version in the effective policy, and a new version is a new effective version', () => {
    expect(layered({}, {}, 3).effective.team).toEqual({ version: 3 });
    expect(layered({}, {}, 3).version).not.toBe(layered({}, {}, 4).version);
  });
});
