/**
 * The price table against the models the bundled Claude Code CLI knows: its executable carries a model
 * catalog (`{id:"claude-…",family:…,pricing:"tier_…"}`) and the tiers' prices (`pricing_tiers:{…}`), which
 * Anthropic's published prices agree with. Every model there must be priced, at those rates, so a first
 * session with Claude Code's default model never shows "unpriced".
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { estimateCost, priceFor } from '../../proxy/anthropic/pricing.js';

const CLI = fileURLToPath(
  new URL('../../node_modules/@anthropic-ai/claude-code/bin/claude.exe', import.meta.url),
);

interface CatalogTier {
  input: number;
  output: number;
  cache_write_5m: number;
  cache_write_1h: number;
  cache_read: number;
  long_prompt?: { above: number; input: number; output: number; cache_read: number };
}

/** Scans the executable (hundreds of MB) in chunks for the catalog's model ids, their tiers and the tiers. */
function readCatalog(): { models: Map<string, string>; tiers: Map<string, CatalogTier> } {
  const models = new Map<string, string>();
  const tiers = new Map<string, CatalogTier>();
  const fd = openSync(CLI, 'r');
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  const overlap = 64 * 1024;
  let carry = '';
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const text = carry + chunk.toString('latin1', 0, n);
      for (const m of text.matchAll(/\{id:"(claude-[a-z0-9-]+)",family:"[a-z]+",display_name:"[^"]*"/g)) {
        const entry = text.slice(m.index, m.index + 4000);
        const tier = /pricing:"([a-z0-9_]+)"/.exec(entry)?.[1];
        if (tier) models.set(m[1]!, tier);
      }
      const num = '([0-9.e]+)';
      const tierRe = new RegExp(
        `([a-z0-9_]+):\\{input:${num},output:${num},cache_write_5m:${num},cache_write_1h:${num},cache_read:${num}(,web_search:[0-9.e]+)?(,long_prompt:\\{above_prompt_tokens:${num},input:${num},output:${num},cache_write_5m:[0-9.e]+,cache_write_1h:[0-9.e]+,cache_read:${num}\\})?`,
        'g',
      );
      for (const m of text.matchAll(tierRe)) {
        tiers.set(m[1]!, {
          input: Number(m[2]),
          output: Number(m[3]),
          cache_write_5m: Number(m[4]),
          cache_write_1h: Number(m[5]),
          cache_read: Number(m[6]),
          ...(m[8]
            ? {
                long_prompt: {
                  above: Number(m[9]),
                  input: Number(m[10]),
                  output: Number(m[11]),
                  cache_read: Number(m[12]),
                },
              }
            : {}),
        });
      }
      carry = text.slice(-overlap);
    }
  } finally {
    closeSync(fd);
  }
  return { models, tiers };
}

describe('price table against the bundled Claude Code CLI', () => {
  const { models, tiers } = readCatalog();

  it('finds the CLI model catalog (so the checks below are not vacuous)', () => {
    expect(models.size).toBeGreaterThanOrEqual(10);
    expect(models.get('claude-opus-5-5')).toBeDefined();
    for (const tier of models.values()) expect(tiers.has(tier), tier).toBe(true);
  });

  it('prices every model the CLI knows, at the rates of its pricing tier', () => {
    for (const [model, tierName] of models) {
      const tier = tiers.get(tierName)!;
      const price = priceFor(model);
      expect(price, `${model} is unpriced`).toBeDefined();
      expect(price, model).toMatchObject({
        input: tier.input,
        output: tier.output,
        cacheWrite5m: tier.cache_write_5m,
        cacheWrite1h: tier.cache_write_1h,
        cacheRead: tier.cache_read,
      });
      if (tier.long_prompt) {
        expect(price?.longPrompt, model).toMatchObject({
          aboveTokens: tier.long_prompt.above,
          input: tier.long_prompt.input,
          output: tier.long_prompt.output,
          cacheRead: tier.long_prompt.cache_read,
        });
      }
    }
  });

  it("prices Claude Code's default model, claude-opus-5-5, as published: $4 in, $20 out, $0.20 cache read", () => {
    const cost = estimateCost('claude-opus-5-5', {
      input_tokens: 1_000_000,
      output_tokens: 1_000_000,
      cache_read_input_tokens: 1_000_000,
      cache_creation_input_tokens: 2_000_000,
      cache_creation: { ephemeral_5m_input_tokens: 1_000_000, ephemeral_1h_input_tokens: 1_000_000 },
    });
    expect(cost).toBeCloseTo(4 + 20 + 0.2 + 5 + 8, 6);
  });

  it('prices a Haiku 5.5 prompt over 100,000 tokens at the long-prompt rates, every token of it', () => {
    const short = estimateCost('claude-haiku-5-5', { input_tokens: 100_000, output_tokens: 1_000_000 });
    expect(short).toBeCloseTo(0.01 + 0.5, 6);
    const long = estimateCost('claude-haiku-5-5', {
      input_tokens: 50_000,
      cache_read_input_tokens: 60_000,
      output_tokens: 1_000_000,
    });
    expect(long).toBeCloseTo(0.025 + 0.003 + 2.5, 6);
  });
});
