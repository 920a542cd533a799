import { asRecord, type Usage } from './message.js';

/** List prices in US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/**
 * Standard (non-batch) list prices per million tokens for Claude models, matched by model-name prefix.
 *
 * Source: Anthropic's pricing documentation (docs.anthropic.com, "Pricing", model pricing table) as published
 * on 2025-11-24. Cache pricing there: 5-minute cache writes cost 1.25× the input price, 1-hour cache writes
 * 2×, cache reads 0.1×. Long-context (>200K input) surcharges and batch discounts are not applied, and models
 * released after that date have no price (their cost is reported as null rather than guessed).
 */
export const PRICES: ReadonlyArray<readonly [prefix: string, price: ModelPrice]> = [
  ['claude-opus-4-5', { input: 5, output: 25 }],
  ['claude-opus-4-1', { input: 15, output: 75 }],
  ['claude-opus-4', { input: 15, output: 75 }],
  ['claude-sonnet-4-5', { input: 3, output: 15 }],
  ['claude-sonnet-4', { input: 3, output: 15 }],
  ['claude-3-7-sonnet', { input: 3, output: 15 }],
  ['claude-3-5-sonnet', { input: 3, output: 15 }],
  ['claude-haiku-4-5', { input: 1, output: 5 }],
  ['claude-3-5-haiku', { input: 0.8, output: 4 }],
  ['claude-3-opus', { input: 15, output: 75 }],
  ['claude-3-haiku', { input: 0.25, output: 1.25 }],
];

/** Extra or corrected prices by model-name prefix, from `prices` in config.json; checked before {@link PRICES}. */
export type PriceOverrides = Readonly<Record<string, ModelPrice>>;

/** The price entry for a model id such as `claude-sonnet-4-5-20250929`, or undefined when unknown. */
export function priceFor(model: string | undefined, overrides: PriceOverrides = {}): ModelPrice | undefined {
  if (!model) return undefined;
  const table: Array<readonly [string, ModelPrice]> = [...Object.entries(overrides), ...PRICES];
  return table.find(([prefix]) => {
    if (!model.startsWith(prefix)) return false;
    // What follows the family name may be a snapshot date or an alias (-20250929, -latest), not a version
    // number: claude-opus-4 must not price claude-opus-4-50.
    const rest = model.slice(prefix.length);
    return rest === '' || /^-(\d{8}|[a-z])/i.test(rest);
  })?.[1];
}

/**
 * Estimated cost of one reply in US dollars (rounded to 1e-6), or null when the model has no known price.
 * Cache creation tokens without a 5m/1h breakdown are priced as 5-minute writes.
 */
export function estimateCost(
  model: string | undefined,
  usage: Usage | undefined,
  overrides: PriceOverrides = {},
): number | null {
  const price = priceFor(model, overrides);
  if (!price || !usage) return null;
  const perToken = (dollarsPerMillion: number) => dollarsPerMillion / 1_000_000;
  // Usage is what the upstream sent: count only numbers (an object there must not throw or make NaN).
  const tokens = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  const input = tokens(usage.input_tokens);
  const output = tokens(usage.output_tokens);
  const cacheRead = tokens(usage.cache_read_input_tokens);
  const oneHour = tokens(asRecord(usage.cache_creation)?.ephemeral_1h_input_tokens);
  const fiveMinute = Math.max(tokens(usage.cache_creation_input_tokens) - oneHour, 0);
  const cost =
    input * perToken(price.input) +
    output * perToken(price.output) +
    fiveMinute * perToken(price.input * 1.25) +
    oneHour * perToken(price.input * 2) +
    cacheRead * perToken(price.input * 0.1);
  return Math.round(cost * 1e6) / 1e6;
}
