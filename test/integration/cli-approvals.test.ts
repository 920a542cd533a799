import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../proxy/policy/guard/types.js';
import { sqlSubject } from '../helpers/approvals.js';
import { GLASSBOX_BIN } from '../helpers/cli.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { collectOutput, type ProcessOutput } from '../helpers/process.js';

/** Runs `glassbox …args` without blocking this process (the engine under test runs in it). */
function glassbox(home: string, args: string[]): Promise<ProcessOutput> {
  const child = spawn(process.execPath, [GLASSBOX_BIN, ...args], {
    env: { ...process.env, GLASSBOX_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectOutput(child);
}

describe('glassbox approvals / approve / deny', () => {
  let mock: MockAnthropic;
  let test: TestEngine;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    test = await startTestEngine(mock.url);
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const held = (sql: string, rule?: string) =>
    test.engine.approvals.request(sqlSubject(test.engine.store, sql, rule ? { rule } : {}));

  it('lists pending approvals as a table and as JSON', async () => {
    const empty = await glassbox(test.home, ['approvals']);
    expect(empty).toMatchObject({
      code: 0,
      stdout: 'No approvals are waiting. (`--all` lists decided ones too.)\n',
    });
    const long = `DELETE FROM orders -- ${'x'.repeat(100)}\n  AND more`;
    const { approval } = held(long);
    const table = await glassbox(test.home, ['approvals']);
    expect(table.code).toBe(0);
    const [head, row] = table.stdout.split('\n');
    expect(head).toMatch(/^ID\s+STATUS\s+RULE\s+WHAT\s+SESSION\s+AGE \/ TIME LEFT$/);
    expect(row).toContain(approval.id);
    expect(row).toContain('pending');
    expect(row).toContain('pg.delete-without-where');
    expect(row).toContain(`DELETE FROM orders -- ${'x'.repeat(37)}…`);
    expect(row).toContain(approval.subject.session_id);
    expect(row).toMatch(/\b[45]m( \d+s)? left$/);
    expect(table.stdout).toContain('glassbox approve ID');
    const json = await glassbox(test.home, ['approvals', '--json']);
    const listed = JSON.parse(json.stdout) as Approval[];
    expect(listed.map((a) => a.id)).toEqual([approval.id]);
    expect(listed[0]!.subject.text).toBe(long);
    test.engine.approvals.withdraw(approval.id, 'test done');
  });

  it('approves once and for a time, recorded as the OS user through the CLI', async () => {
    const once = held('DELETE FROM carts');
    const approved = await glassbox(test.home, [
      'approve',
      once.approval.id.toLowerCase(),
      '--reason',
      'cleanup',
    ]);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(
      `Approved ${once.approval.id} (self-approved: the requesting session runs as you): DELETE FROM carts`,
    );
    expect(approved.stdout).toContain('Covers: this operation, once');
    const outcome = await once.settled;
    expect(outcome.approval).toMatchObject({
      status: 'approved',
      reason: 'cleanup',
      decided_by: { via: 'cli', self_approved: true },
    });

    const timed = held('DELETE FROM sessions');
    const forAWhile = await glassbox(test.home, ['approve', timed.approval.id, '--for', '15m']);
    expect(forAWhile.stdout).toMatch(
      /Covers: rule pg\.delete-without-where in session \S+ until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
    );
    expect((await timed.settled).approval.scope?.type).toBe('session');

    // The chain still verifies with the approval events in it.
    const verified = await glassbox(test.home, ['verify', once.approval.subject.session_id]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^ok\s+\S+\s+3 events, chain intact\n$/);
    const all = await glassbox(test.home, ['approvals', '--all']);
    expect(all.stdout).toMatch(new RegExp(`${once.approval.id}\\s+approved \\(self\\)`));
  });

  it('denies with a reason, and says so when the id is unknown or no longer pending', async () => {
    const { approval, settled } = held('DROP TABLE orders', 'pg.drop');
    const noReason = await glassbox(test.home, ['deny', approval.id]);
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
    const denied = await glassbox(test.home, ['deny', approval.id, '--reason', 'not on production']);
    expect(denied.code).toBe(0);
    expect(denied.stdout).toBe(`Denied ${approval.id}: DROP TABLE orders\n  Reason: not on production\n`);
    expect((await settled).approval.reason).toBe('not on production');

    // `glassbox show` tells the story in order: the statement, the request, the denial.
    const shown = await glassbox(test.home, ['show', approval.subject.session_id]);
    expect(shown.code).toBe(0);
    const story = shown.stdout.split('\n').filter((l) => /DROP TABLE orders|approval ap_/.test(l));
    expect(story).toEqual([
      expect.stringMatching(/^\s+\d\d:\d\d:\d\d\.\d{3}\s+running\s+DROP TABLE orders$/),
      expect.stringMatching(
        new RegExp(
          `approval ${approval.id} requested \\(rule pg\\.drop: DELETE without WHERE needs an approval\\): DROP TABLE orders · ≈ 12,000 rows of public\\.orders · expires \\d\\d:\\d\\d`,
        ),
      ),
      expect.stringMatching(
        new RegExp(`approval ${approval.id} denied by \\S+ \\(self-approved\\) via cli: not on production$`),
      ),
    ]);

    const late = await glassbox(test.home, ['approve', approval.id]);
    expect(late.code).toBe(1);
    expect(late.stderr).toBe(`glassbox: approval ${approval.id} is no longer pending: it was denied\n`);
    const unknown = await glassbox(test.home, ['approve', 'ap_ZZZZZZZZ']);
    expect(unknown.code).toBe(1);
    // The command as the user runs it: `glassbox`, or `npx glassbox` under npm.
    expect(unknown.stderr).toMatch(
      /^glassbox: no approval "ap_ZZZZZZZZ" \(see `(npx )?glassbox approvals --all`\)\n$/,
    );
    const badFor = await glassbox(test.home, ['approve', approval.id, '--for', 'a while']);
    expect(badFor.stderr).toContain('give a duration from 1s to 24h');
  });

  it('says what to do when no engine is running', async () => {
    const home = tempHome();
    try {
      // The command as the user runs it: `glassbox`, or `npx glassbox` under npm.
      const cli = /Start it with `((?:npx )?glassbox )serve`/.exec(
        (await glassbox(home, ['approvals'])).stderr,
      )?.[1];
      expect(cli).toBeDefined();
      for (const args of [
        ['approvals'],
        ['approve', 'ap_00000000'],
        ['deny', 'ap_00000000', '--reason', 'x'],
      ]) {
        const result = await glassbox(home, args);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(
          `glassbox: no Glassbox engine is running for ${home}. Start it with \`${cli}serve\` (or open the Glassbox app), then run this again.\n`,
        );
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
