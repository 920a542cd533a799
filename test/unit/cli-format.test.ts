import { describe, expect, it } from 'vitest';
import { counted, dollars } from '../../proxy/cli/format.js';

describe('CLI formatting', () => {
  it('writes costs as the dashboard does, so small per-turn costs add up to the total shown', () => {
    expect(dollars(0.00034)).toBe('$0.00034');
    expect(dollars(0.00068)).toBe('$0.00068');
    expect(dollars(0.0042)).toBe('$0.0042');
    expect(dollars(0)).toBe('$0');
    expect(dollars(1.274)).toBe('$1.27');
    expect(dollars(0.05)).toBe('$0.05');
    expect(dollars(null)).toBe('—');
  });

  it('counts one in the singular', () => {
    expect(counted(1, 'row')).toBe('1 row');
    expect(counted(0, 'row')).toBe('0 rows');
    expect(counted(12_345, 'statement')).toBe('12,345 statements');
  });
});
