/**
 * The read API tests' rig (read-api.test.ts, read-verify.test.ts): a team setup (real server bin, PostgreSQL,
 * OIDC provider) with tokens for alice, bob, carol and dave, and five sessions mirrored by three people —
 * alice's Claude session ALICECLAUDE1 (two turns, 4 events) and PostgreSQL session ALICEPG1, bob's BOBCLAUDE1
 * and BOBPG1, carol's CAROLCLAUDE1 — from {@link T0} on, 10 s apart.
 */
import { expect } from 'vitest';
import { chainEvents, postBatch } from './team-chain.js';
import { startTeamSetup, type TeamSetup } from './team-server.js';
import { claudeSession, postgresSession, sessionMeta } from './team-sessions.js';

/** When the rig's first session starts, µs since the epoch. */
export const T0 = 1_780_000_000_000_000;

/** The running rig: the team setup and each login's access token. */
export interface ReadRig {
  team: TeamSetup;
  tokens: Record<string, string>;
}

/** Mirrors one session for `login` in a single batch (expects 200); returns its head seq. */
export async function mirrorSession(
  rig: ReadRig,
  login: string,
  id: string,
  kind: 'anthropic' | 'postgres',
  drafts: ReturnType<typeof claudeSession>,
  startedAt: number,
): Promise<number> {
  const events = chainEvents(id, drafts);
  const meta = sessionMeta(kind, { subject: login, email: `${login}@example.test` }, startedAt);
  const answer = await postBatch(rig.team.server.url, id, { session: meta, events }, rig.tokens[login]!);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return events.length;
}

/** GET `path` on the server as `login`: the status and the parsed JSON body. */
export async function getAs<T>(
  rig: ReadRig,
  path: string,
  login: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${rig.team.server.url}${path}`, {
    headers: { authorization: `Bearer ${rig.tokens[login]}` },
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** Starts the rig and mirrors its five sessions (see the module comment); the caller stops `rig.team`. */
export async function startReadRig(): Promise<ReadRig> {
  const rig: ReadRig = { team: await startTeamSetup(), tokens: {} };
  const mirror = (...args: Parameters<typeof mirrorSession> extends [ReadRig, ...infer R] ? R : never) =>
    mirrorSession(rig, ...args);
  for (const login of ['alice', 'bob', 'carol', 'dave']) rig.tokens[login] = await rig.team.tokenFor(login);
  await mirror(
    'alice',
    'ALICECLAUDE1',
    'anthropic',
    claudeSession(
      [
        {
          prompt: 'Reconcile the quarterly invoices against the ledger export',
          reply: 'I will compare the ledger export with the invoices table first.',
          command: 'psql -c "SELECT count(*) FROM invoices"',
        },
        { prompt: 'Now summarise the mismatches', reply: 'Three invoices differ by rounding.' },
      ],
      T0,
    ),
    T0,
  );
  await mirror(
    'alice',
    'ALICEPG1',
    'postgres',
    postgresSession(
      ["SELECT id, total FROM invoices WHERE status = 'overdue'", 'UPDATE invoices SET reminded = true'],
      T0 + 10_000_000,
    ),
    T0 + 10_000_000,
  );
  await mirror(
    'bob',
    'BOBCLAUDE1',
    'anthropic',
    claudeSession(
      [
        {
          prompt: 'Rotate the staging certificates before Friday',
          reply: 'Renewing them with certbot.',
          command: 'kubectl rollout restart deployment/ingress',
        },
      ],
      T0 + 20_000_000,
    ),
    T0 + 20_000_000,
  );
  await mirror(
    'bob',
    'BOBPG1',
    'postgres',
    postgresSession(['UPDATE accounts SET frozen = true WHERE id = 42'], T0 + 30_000_000),
    T0 + 30_000_000,
  );
  await mirror(
    'carol',
    'CAROLCLAUDE1',
    'anthropic',
    claudeSession(
      [{ prompt: 'Draft the onboarding checklist', reply: 'Here is a checklist.' }],
      T0 + 40_000_000,
    ),
    T0 + 40_000_000,
  );
  return rig;
}
