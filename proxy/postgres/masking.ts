/**
 * What the PostgreSQL proxy needs of the masking policy (DESIGN.md, "Masking"), and the few decisions about
 * PostgreSQL types that masking on the wire rests on. The policy itself (rule definitions, the default
 * dictionary, the detectors' actions, the hash key) is built in proxy/policy/; a compiled policy satisfies
 * {@link PgMaskingPolicy}. The proxy asks for the policy through a getter at each statement, so a policy
 * change applies to the next statement without a restart.
 */
import { BUILTIN_DETECTORS, findAll } from '../policy/detectors/index.js';
import type { MaskAction, MaskedText, TextMasker } from '../policy/masking/types.js';

/** A result column as the policy's column rules see it. */
export interface PgColumnRef {
  /** The Glassbox connection's name. */
  connection: string;
  /**
   * `schema.table` of the column's table, resolved from RowDescription's table OID (PostgreSQL docs, 55.7
   * "Message Formats"); null for a computed column, or when the name could not be resolved.
   */
  table: string | null;
  /** The column's name: the table's own column name when resolved, else the name the result gives it. */
  name: string;
}

/** The column rule that applies to a column. */
export interface PgColumnRule {
  action: MaskAction;
  /** True: masked on the wire (the client never gets the value); false: masked in storage only. */
  wire: boolean;
  /** The rule's id, counted in events (`masked: {"column.email": 20}`). */
  rule: string;
}

/** What the PostgreSQL proxy needs of the masking policy (a compiled policy satisfies it). */
export interface PgMaskingPolicy {
  /** The rule for a result column, if any: its action, whether it applies on the wire (else storage only), and the rule's id. */
  columns(column: PgColumnRef): PgColumnRule | undefined;
  /** A whole value masked by `action` (redact → `[MASKED:<id>]`, partial → keep last N, hash → `hash:xxxxxxxx`). */
  maskValue(value: string, action: MaskAction, id: string): string;
  /** Free text masked by the detectors (SQL literals, parameters, notices): see MaskedText in proxy/policy/masking/types.ts. */
  text: TextMasker;
  /**
   * Optional hint: false when no column rule names a table, so table OIDs need not be resolved (no catalog
   * lookup, no wait). Absent means true.
   */
  readonly tableRules?: boolean;
  /**
   * Optional hint: false when no column rule applies on the wire, so COPY OUT needs no column lookup. Absent
   * means true.
   */
  readonly wireRules?: boolean;
}

/** Gives the policy in effect now (read at each statement and each result). */
export type PgMaskingSource = () => PgMaskingPolicy;

/**
 * The storage masking that applies when the engine was given no policy: the built-in detectors, each value
 * replaced by `[MASKED:<detector>]`, and no column rules. Storage masking is never off.
 */
export function detectorsOnlyPolicy(): PgMaskingPolicy {
  return {
    columns: () => undefined,
    maskValue: (_value, _action, id) => `[MASKED:${id}]`,
    text: { mask: (text) => redactFindings(text) },
    tableRules: false,
    wireRules: false,
  };
}

function redactFindings(text: string): MaskedText {
  const findings = findAll(text, BUILTIN_DETECTORS);
  if (findings.length === 0) return { text, spans: [], counts: {} };
  let out = '';
  let at = 0;
  const counts: Record<string, number> = {};
  for (const finding of findings) {
    out += `${text.slice(at, finding.start)}[MASKED:${finding.detector}]`;
    at = finding.end;
    counts[finding.detector] = (counts[finding.detector] ?? 0) + 1;
  }
  return {
    text: out + text.slice(at),
    spans: findings.map((f) => ({ ...f, action: 'redact' as const })),
    counts,
  };
}

export { type WireForm, wireForm } from '../policy/wire-form.js';

/** An action as it applies to storage: `null` (SQL NULL) exists on the wire only; stored, it acts as redact. */
export function storageAction(action: MaskAction): MaskAction {
  return action.type === 'null' ? { type: 'redact' } : action;
}

/** Adds `add` into `counts` (detector or rule id → how many values), in place. */
export function addCounts(counts: Record<string, number>, add: Record<string, number>): void {
  for (const [id, n] of Object.entries(add)) counts[id] = (counts[id] ?? 0) + n;
}

/**
 * Text of a PostgreSQL session's `client_encoding` (PostgreSQL docs, 24.3 "Character Set Support"): values
 * arrive in it and masked values must be written in it. UTF8 is read and written as UTF-8; any other
 * encoding byte by byte (latin1), with masks' own characters beyond one byte (`•`) written as `*`.
 */
export class ClientEncoding {
  private utf8: boolean;

  constructor(name: string | undefined) {
    this.utf8 = isUtf8(name);
  }

  /** A ParameterStatus changed client_encoding. */
  set(name: string): void {
    this.utf8 = isUtf8(name);
  }

  decode(bytes: Buffer): string {
    return bytes.toString(this.utf8 ? 'utf8' : 'latin1');
  }

  encode(text: string): Buffer {
    if (this.utf8) return Buffer.from(text, 'utf8');
    // Characters read byte by byte (up to U+00FF) go back as the same bytes; a mask's own (`•`) cannot.
    return Buffer.from(text.replace(/[\u0100-\uffff]/g, '*'), 'latin1');
  }
}

function isUtf8(name: string | undefined): boolean {
  const normalised = (name ?? 'UTF8').toUpperCase().replace(/[-_]/g, '');
  return normalised === 'UTF8' || normalised === 'UNICODE';
}
