import { asRecord, type Usage } from './message.js';

/** List prices in US dollars per million tokens (MTok). */
export interface ModelPrice {
  input: number;
  output: number;
  /** Cache hits and refreshes; default 0.1 × input. */
  cacheRead?: number;
  /** 5-minute cache writes; default 1.25 × input. */
  cacheWrite5m?: number;
  /** 1-hour cache writes; default 2 × input. */
  cacheWrite1h?: number;
  /**
   * Rates for a request whose prompt (input + cache reads + cache writes, in tokens) is above `aboveTokens`:
   * they apply to every token of that request, output included.
   */
  longPrompt?: { aboveTokens: number } & Omit<ModelPrice, 'longPrompt'>;
}

/** A price with every cache rate spelled out (US dollars per MTok). */
function tier(input: number, output: number, cacheRead = input / 10): ModelPrice {
  return { input, output, cacheWrite5m: input * 1.25, cacheWrite1h: input * 2, cacheRead };
}

/**
 * Standard (non-batch) list prices per million tokens for Claude models, matched by model-name prefix: every
 * model the bundled Claude Code CLI (2.1.330) names in its model catalog, and the older ones before them.
 *
 * Sources, as found on 2026-12-06: Anthropic's Claude Platform docs — the "Pricing" page
 * (platform.claude.com/docs/en/about-claude/pricing: Fable/Mythos 5 and 5.1, Opus 4–5, with cache rates) and
 * each model's overview page (platform.claude.com/docs/<lang>/models/<model>/overview: Opus 5.5 $4/$20,
 * cache writes $5 (5 min) / $8 (1 h), reads $0.20; Sonnet 5 and 5.5 $2/$10; Haiku 5.5 $0.10/$0.50, reads
 * $0.01, and $0.50/$2.50, reads $0.05, for a prompt over 100,000 tokens). Three rates come from release notes
 * of tools that track the published prices, not from an Anthropic page found here: Sonnet 5.5's cache reads
 * cut from $0.20 to $0.10 on 2026-10-07, Fable 5.2 and Mythos 5.2 at $8/$40 with reads $0.20, and Sonnet 4.6
 * at $3/$15. The CLI's own catalog carries the same rates for every model, and
 * test/unit/pricing-catalog.test.ts checks this table against it. Cache writes cost 1.25× (5 min) and 2× (1 h)
 * the input price for every model, reads 0.1× unless stated. Not applied: batch discounts, fast mode, US-only
 * inference (`inference_geo`, 1.1×), and long-context surcharges of older models.
 */
export const PRICES: ReadonlyArray<readonly [prefix: string, price: ModelPrice]> = [
  ['claude-fable-5-2', tier(8, 40, 0.2)],
  ['claude-fable-5-1', tier(10, 50, 0.25)],
  ['claude-fable-5', tier(10, 50, 1)],
  ['claude-mythos-5-2', tier(8, 40, 0.2)],
  ['claude-mythos-5-1', tier(10, 50, 0.25)],
  ['claude-mythos-5', tier(10, 50, 1)],
  ['claude-opus-5-5', tier(4, 20, 0.2)],
  ['claude-opus-5', tier(5, 25)],
  ['claude-opus-4-8', tier(5, 25)],
  ['claude-opus-4-7', tier(5, 25)],
  ['claude-opus-4-6', tier(5, 25)],
  ['claude-opus-4-5', tier(5, 25)],
  ['claude-opus-4-1', tier(15, 75)],
  ['claude-opus-4-0', tier(15, 75)],
  ['claude-opus-4', tier(15, 75)],
  ['claude-sonnet-5-5', tier(2, 10, 0.1)],
  ['claude-sonnet-5', tier(2, 10)],
  ['claude-sonnet-4-6', tier(3, 15)],
  ['claude-sonnet-4-5', tier(3, 15)],
  ['claude-sonnet-4-0', tier(3, 15)],
  ['claude-sonnet-4', tier(3, 15)],
  ['claude-3-7-sonnet', tier(3, 15)],
  ['claude-3-5-sonnet', tier(3, 15)],
  [
    'claude-haiku-5-5',
    { ...tier(0.1, 0.5, 0.01), longPrompt: { aboveTokens: 100_000, ...tier(0.5, 2.5, 0.05) } },
  ],
  ['claude-haiku-4-5', tier(1, 5)],
  ['claude-3-5-haiku', tier(0.8, 4)],
  ['claude-3-opus', tier(15, 75)],
  ['claude-3-haiku', tier(0.25, 1.25)],
];

/**
 * Extra or corrected prices by model-name prefix, from `prices` in config.json; checked before {@link PRICES}.
 * Cache rates left out follow the usual multipliers of the input price.
 */
export type PriceOverrides = Readonly<Record<string, ModelPrice>>;

/** The price entry for a model id such as `claude-sonnet-4-5-20250929`, or undefined when unknown. */
export function priceFor(model: string | undefined, overrides: PriceOverrides = {}): ModelPrice | undefined {
  if (!model) return undefined;
  const table: Array<readonly [string, ModelPrice]> = [...Object.entries(overrides), ...PRICES];
  return table.find(([prefix]) => {
    if (!model.startsWith(prefix)) return false;
    // What follows the family name may be a snapshot date or an alias (-20250929, -latest), not a version
    // number: claude-opus-4 must not price claude-opus-4-50, nor claude-opus-5 price claude-opus-5-5.
    const rest = model.slice(prefix.length);
    return rest === '' || /^-(\d{8}|[a-z])/i.test(rest);
  })?.[1];
}

/**
 * Estimated cost of one reply in US dollars (rounded to 1e-6), or null when the model has no known price.
 * Cache creation tokens without a 5m/1h breakdown are priced as 5-minute writes. A model with long-prompt
 * rates is priced at them, for every token, when the prompt (input + cache reads + cache writes) is longer.
 */
export function estimateCost(
  model: string | undefined,
  usage: Usage | undefined,
  overrides: PriceOverrides = {},
): number | null {
  const listed = priceFor(model, overrides);
  if (!listed || !usage) return null;
  // Usage is what the upstream sent: count only numbers (an object there must not throw or make NaN).
  const tokens = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  const input = tokens(usage.input_tokens);
  const output = tokens(usage.output_tokens);
  const cacheRead = tokens(usage.cache_read_input_tokens);
  const cacheWrite = tokens(usage.cache_creation_input_tokens);
  const oneHour = tokens(asRecord(usage.cache_creation)?.ephemeral_1h_input_tokens);
  const fiveMinute = Math.max(cacheWrite - oneHour, 0);
  const long = listed.longPrompt;
  const price = long && input + cacheRead + cacheWrite > long.aboveTokens ? long : listed;
  const perToken = (dollarsPerMillion: number) => dollarsPerMillion / 1_000_000;
  const cost =
    input * perToken(price.input) +
    output * perToken(price.output) +
    fiveMinute * perToken(price.cacheWrite5m ?? price.input * 1.25) +
    oneHour * perToken(price.cacheWrite1h ?? price.input * 2) +
    cacheRead * perToken(price.cacheRead ?? price.input * 0.1);
  return Math.round(cost * 1e6) / 1e6;
}
