import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../proxy/policy/approvals/duration.js';
import { APPROVAL_ID, newApprovalId, normalizeApprovalId } from '../../proxy/policy/approvals/ids.js';

describe('approval ids', () => {
  it('are ap_ and 8 Crockford base32 characters, drawn again when taken', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = newApprovalId((candidate) => seen.has(candidate));
      expect(id).toMatch(APPROVAL_ID);
      expect(seen.has(id)).toBe(false);
      seen.add(id);
    }
    // Every character of the alphabet turns up, and none outside it (no I, L, O, U).
    const chars = new Set([...seen].flatMap((id) => [...id.slice(3)]));
    expect([...chars].sort().join('')).toBe('0123456789ABCDEFGHJKMNPQRSTVWXYZ');
    let calls = 0;
    const taken = newApprovalId(() => ++calls < 3);
    expect(calls).toBe(3);
    expect(taken).toMatch(APPROVAL_ID);
  });

  it('are read as people type them', () => {
    expect(normalizeApprovalId('ap_7KQ2M9XD')).toBe('ap_7KQ2M9XD');
    expect(normalizeApprovalId('7kq2m9xd')).toBe('ap_7KQ2M9XD');
    expect(normalizeApprovalId(' AP_7kq2m9xd ')).toBe('ap_7KQ2M9XD');
    expect(normalizeApprovalId('ap_O1LI0000')).toBe('ap_01110000');
    expect(normalizeApprovalId('ap_7KQ2M9X')).toBeUndefined();
    expect(normalizeApprovalId('ap_7KQ2M9XU')).toBeUndefined();
    expect(normalizeApprovalId('../../etc')).toBeUndefined();
  });
});

describe('approval durations', () => {
  it('parses what people write for --for', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2H')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    for (const bad of ['', '15', 'm', '15 m', '-5m', '1.5h', 'soon', '1h 30m'])
      expect(parseDuration(bad)).toBeUndefined();
  });

  it('formats times left and ages short', () => {
    expect(formatDuration(300)).toBe('300ms');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(4 * 60_000 + 12_000)).toBe('4m 12s');
    expect(formatDuration(15 * 60_000)).toBe('15m');
    expect(formatDuration(90 * 60_000)).toBe('1h 30m');
    expect(formatDuration(27 * 3_600_000)).toBe('1d 3h');
    expect(formatDuration(-5_000)).toBe('0s');
  });
});
