import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { describeError } from '../common/errors.js';
import { type FileWatch, watchFiles } from '../common/file-watch.js';
import type { Component } from '../common/lifecycle.js';
import { homePaths } from '../config.js';
import type { EngineLog } from '../live-config.js';
import type { Store } from '../store/store.js';
import type { Identity } from '../store/types.js';
import { type CompiledPolicy, compilePolicy } from './compile.js';
import { defaultPolicy, type PolicyDocument, PolicyError, parsePolicy, readPolicyFile } from './document.js';
import { effectivePolicy } from './effective.js';
import { loadMaskKey } from './masking/mask-key.js';
import { diffPolicies, type PolicyChange } from './policy-diff.js';
import { lastRecordedPolicy, type PolicyActor, recordPolicyChange } from './policy-record.js';
import { compileLayered, type TeamPolicy } from './team-layers.js';

/** What {@link PolicyWatcher} needs from the engine. */
export interface PolicyWatcherOptions {
  /** The data directory ($GLASSBOX_HOME): policy.json and mask.key live there. */
  home: string;
  store: Store;
  /**
   * The engine's identity now (the signed-in person, else the OS user), read at each change: who changed
   * policy.json, as far as the engine can tell.
   */
  identity: () => Identity;
  log: EngineLog;
  /** Quiet time after a change to policy.json before it is read, ms (default 100). */
  settleMs?: number;
  /**
   * The team policy to apply on top of policy.json from the start (the last one cached, so an offline start
   * applies it too); later versions come through {@link PolicyWatcher.applyTeam}. Default none.
   */
  team?: () => TeamPolicy | null;
}

/**
 * The engine's policy (DESIGN.md, "Policy"): loads `$GLASSBOX_HOME/policy.json` (absent: the built-in
 * default), compiles it, and while the engine runs applies each valid new version at once — the compiled
 * policy is swapped in one assignment, so a caller that took {@link PolicyWatcher.current} keeps a
 * consistent policy for what it is doing, and the next call gets the new one. An invalid version is refused
 * with one log line naming the field, and the old policy stays. Every applied change is recorded as a
 * `policy.changed` event (policy-record.ts) before it takes effect; one that cannot be recorded is not
 * applied.
 */
export class PolicyWatcher implements Component {
  private compiled: CompiledPolicy | undefined;
  private hashKey: Buffer | undefined;
  private watch: FileWatch | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private listeners = new Set<(policy: CompiledPolicy) => void>();
  private refusal: string | null = null;
  private stopped = false;
  private team: TeamPolicy | null = null;

  constructor(private readonly options: PolicyWatcherOptions) {}

  /**
   * Loads the masking key and policy.json, records the policy when it differs from the last one recorded
   * (`via: "start"`), and starts watching the file.
   * @throws PolicyError when policy.json is invalid (the engine does not start on a policy it cannot apply);
   *   UserError for a broken mask.key; store errors when the change cannot be recorded
   */
  start(): void {
    const { home, store, identity, log, settleMs } = this.options;
    const paths = homePaths(home);
    this.hashKey = loadMaskKey(paths.maskKey);
    this.team = this.options.team?.() ?? null;
    const next = this.compile(readPolicyFile(paths.policy) ?? defaultPolicy());
    const recorded = lastRecordedPolicy(store);
    const changes = diffPolicies(recorded ?? effectivePolicy(defaultPolicy()), next.effective);
    if (changes.length > 0) {
      recordPolicyChange(
        store,
        { identity: identity(), via: 'start' },
        { previous: recorded, next: next.effective, changes },
      );
    }
    this.compiled = next;
    this.watch = watchFiles(home, [paths.policy], () => void this.reload(), {
      settleMs: settleMs ?? 100,
      onFallback: (error) =>
        log(
          `Policy: cannot watch ${home} (${describeError(error)}); checking policy.json every 2 s instead`,
          'warn',
        ),
    });
  }

  /** Stops watching, after a change being applied. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.close();
    await this.running;
  }

  /**
   * The policy in force. Cheap (a field read): call it once per message or statement.
   * @throws Error before {@link PolicyWatcher.start}
   */
  current(): CompiledPolicy {
    if (!this.compiled) throw new Error('the policy is not loaded yet (PolicyWatcher.start)');
    return this.compiled;
  }

  /** Why the newest policy.json was refused (field and fix, one line), or null when it is in force. */
  get refused(): string | null {
    return this.refusal;
  }

  /**
   * Calls `listener` with each new policy once it is in force (e.g. to drop caches keyed by the old one).
   * @returns a function that unsubscribes
   */
  subscribe(listener: (policy: CompiledPolicy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Validates and compiles a draft without applying it (the dashboard's preview), with this installation's
   * hash key, so hashes match what applying it would record.
   * @throws PolicyError naming each invalid field
   */
  draft(raw: unknown): CompiledPolicy {
    return this.compile(parsePolicy(raw, 'the draft policy'));
  }

  /**
   * Applies a policy sent through the control API: validates it, writes it to policy.json (as given,
   * atomically, mode 0600), records the change (`via: "api"`, `actor`'s identity) and puts it in force.
   * @returns what changed (empty when the effective policy is the same); rejects with PolicyError naming
   *   each invalid field (nothing is written), or an Error when policy.json cannot be written or the change
   *   cannot be recorded (the policy in force then stays)
   */
  apply(raw: unknown, actor: PolicyActor): Promise<PolicyChange[]> {
    let next: CompiledPolicy;
    try {
      next = this.draft(raw);
    } catch (error) {
      return Promise.reject(error);
    }
    const step = this.running.then(() => {
      writePolicyFile(homePaths(this.options.home).policy, raw);
      return this.swap(next, actor);
    });
    this.running = step.catch(() => undefined);
    return step;
  }

  /** The team policy in force (its server version), or null when none applies. */
  get teamVersion(): number | null {
    return this.team?.version ?? null;
  }

  /**
   * Puts a new team policy in force on top of policy.json (null: none any more), recording the change
   * (`via: "team"`, the team version) when the effective policy changes.
   * @returns what changed; rejects with an Error when the change cannot be recorded (the old policy stays)
   */
  applyTeam(team: TeamPolicy | null): Promise<PolicyChange[]> {
    const step = this.running.then(() => {
      if (this.stopped) return [];
      const previous = this.team;
      this.team = team;
      try {
        const next = this.compile(this.current().document);
        return this.swap(next, {
          identity: this.options.identity(),
          via: 'team',
          teamVersion: team?.version ?? 0,
        });
      } catch (error) {
        this.team = previous;
        throw error;
      }
    });
    this.running = step.catch(() => undefined);
    return step;
  }

  /** Reads policy.json now and applies it if valid and different; resolves when done. Never rejects. */
  reload(): Promise<void> {
    const step = this.running
      .then(() => this.applyFile())
      .catch((error: unknown) =>
        this.options.log(`Policy: could not apply policy.json: ${describeError(error)}`, 'warn'),
      );
    this.running = step;
    return step;
  }

  private applyFile(): void {
    if (this.stopped) return;
    const { home, identity, log } = this.options;
    let next: CompiledPolicy;
    try {
      next = this.compile(readPolicyFile(homePaths(home).policy) ?? defaultPolicy());
    } catch (error) {
      const reason =
        error instanceof PolicyError
          ? error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')
          : describeError(error);
      if (reason !== this.refusal) {
        log(
          `Policy: refused the new policy.json; the engine keeps the previous policy (${this.current().version}). ${reason}`,
          'warn',
        );
      }
      this.refusal = reason;
      return;
    }
    if (this.refusal !== null) log('Policy: policy.json is valid again', 'info');
    this.refusal = null;
    try {
      this.swap(next, { identity: identity(), via: 'file' });
    } catch (error) {
      log(
        `Policy: the new policy.json is not applied, because its change could not be recorded (${describeError(error)}); the engine keeps the previous policy. Save the file again to retry.`,
        'warn',
      );
    }
  }

  /**
   * Records the change from the policy in force to `next` and puts `next` in force; when nothing in effect
   * changed, only the document is replaced, unrecorded.
   * @throws what recording throws (the policy in force then stays)
   */
  private swap(next: CompiledPolicy, actor: PolicyActor): PolicyChange[] {
    const previous = this.current();
    const changes = diffPolicies(previous.effective, next.effective);
    if (changes.length > 0) {
      recordPolicyChange(this.options.store, actor, {
        previous: previous.effective,
        next: next.effective,
        changes,
      });
    }
    this.compiled = next;
    if (changes.length === 0) return changes;
    this.refusal = null;
    const shown = changes.map((c) => c.path).join(', ');
    this.options.log(`Policy: applied (${next.version}, via ${actor.via}): changed ${shown}`, 'info');
    for (const listener of this.listeners) {
      try {
        listener(next);
      } catch (error) {
        this.options.log(`Policy: a listener failed on the new policy: ${describeError(error)}`, 'warn');
      }
    }
    return changes;
  }

  private compile(doc: PolicyDocument): CompiledPolicy {
    if (!this.hashKey) throw new Error('the masking key is not loaded yet (PolicyWatcher.start)');
    const options = { hashKey: this.hashKey };
    return this.team ? compileLayered(this.team, doc, options) : compilePolicy(doc, options);
  }
}

/** Writes policy.json as given (2-space JSON), atomically: a 0600 temporary file renamed over it. */
function writePolicyFile(path: string, raw: unknown): void {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
