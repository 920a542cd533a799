/**
 * Seeded, reproducible randomness for fuzz tests. No dependency: a 32-bit mulberry32 generator, so a case is
 * replayed exactly from its seed on any machine.
 *
 * Each fuzz test runs a fixed list of case seeds derived from a base seed (so CI is deterministic). A failing
 * case names its seed; `FUZZ_SEED=<seed>` replays only that case, `FUZZ_CASES=<n>` runs more (or fewer) cases,
 * and `FUZZ_BASE=<n>` explores a different fixed list.
 */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  /** `count` random bytes. */
  bytes(count: number): Buffer {
    const out = Buffer.allocUnsafe(count);
    for (let i = 0; i < count; i++) out[i] = this.int(0, 255);
    return out;
  }

  /** Picks a weighted alternative: `[[weight, value], …]`. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    const total = choices.reduce((sum, [weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [weight, value] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return choices[choices.length - 1]![1];
  }
}

/** Spreads a base seed and a case number into a well-mixed 32-bit case seed. */
function caseSeed(base: number, index: number): number {
  let h = (base ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}=${raw} is not a non-negative integer`);
  return value;
}

/**
 * The case seeds a fuzz test runs: `regressions` (seeds that once failed, always run) then `cases` seeds from
 * the base seed. With `FUZZ_SEED` set, only that seed.
 */
export function fuzzSeeds(base: number, cases: number, regressions: readonly number[] = []): number[] {
  const only = envInt('FUZZ_SEED');
  if (only !== undefined) return [only];
  const count = envInt('FUZZ_CASES') ?? cases;
  const start = envInt('FUZZ_BASE') ?? base;
  return [...regressions, ...Array.from({ length: count }, (_, i) => caseSeed(start, i))];
}

/** Runs one case; a failure is rethrown naming the seed and how to replay it. */
export async function withSeed<T>(
  seed: number,
  label: string,
  run: (rng: Rng) => T | Promise<T>,
): Promise<T> {
  try {
    return await run(new Rng(seed));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const replay = new Error(`${label}: failed with seed ${seed} (replay: FUZZ_SEED=${seed})\n${message}`, {
      cause: error,
    });
    if (error instanceof Error && error.stack) replay.stack = `${replay.message}\n${error.stack}`;
    throw replay;
  }
}

/** Synchronous {@link withSeed}, for pure unit fuzzing in a tight loop. */
export function withSeedSync<T>(seed: number, label: string, run: (rng: Rng) => T): T {
  try {
    return run(new Rng(seed));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${label}: failed with seed ${seed} (replay: FUZZ_SEED=${seed})\n${message}`, {
      cause: error,
    });
  }
}
