import { randomBytes } from 'node:crypto';

/** Crockford's base32 alphabet (no I, L, O, U): what people can read aloud and type without confusion. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** How approval ids look: `ap_` and 8 Crockford base32 characters (40 random bits). */
export const APPROVAL_ID = /^ap_[0-9A-HJKMNP-TV-Z]{8}$/;

/**
 * A new approval id, `ap_` + 8 Crockford base32 characters, short enough to type in `glassbox approve ID`;
 * `taken` says whether an id is already in use (the caller's memory and table), and another is drawn then.
 */
export function newApprovalId(taken: (id: string) => boolean): string {
  for (;;) {
    const bytes = randomBytes(5);
    let bits = 0n;
    for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
    let id = '';
    for (let i = 0; i < 8; i++) id = CROCKFORD[Number((bits >> BigInt(i * 5)) & 31n)] + id;
    if (!taken(`ap_${id}`)) return `ap_${id}`;
  }
}

/**
 * An id as a person typed it, in its canonical form: case ignored, `ap_` optional, and Crockford's
 * look-alikes read as digits (`O` → 0, `I`/`L` → 1). Undefined when it cannot be an approval id.
 */
export function normalizeApprovalId(typed: string): string | undefined {
  const bare = typed.trim().toUpperCase().replace(/^AP_/, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const id = `ap_${bare}`;
  return APPROVAL_ID.test(id) ? id : undefined;
}
