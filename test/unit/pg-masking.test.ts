import { describe, expect, it } from 'vitest';
import type { FieldDescription } from '../../proxy/postgres/backend-messages.js';
import { parseDataRow } from '../../proxy/postgres/backend-messages.js';
import { type CopyPlan, maskCopyData } from '../../proxy/postgres/copy-masking.js';
import { copyOutStatement } from '../../proxy/postgres/copy-statement.js';
import { maskPlan } from '../../proxy/postgres/mask-plan.js';
import { ClientEncoding } from '../../proxy/postgres/masking.js';
import { maskSqlLiterals } from '../../proxy/postgres/sql-masking.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { maskDataRow } from '../../proxy/postgres/wire-masking.js';
import { testMaskingPolicy } from '../helpers/masking-policy.js';

const policy = testMaskingPolicy([
  { id: 'column.email', column: 'email', table: 'customers', action: { type: 'redact' }, wire: true },
  { id: 'column.card', column: 'card_number', action: { type: 'partial', keep: 4 }, wire: true },
  { id: 'column.balance', column: 'balance', action: { type: 'hash' }, wire: true },
  { id: 'column.phone', column: 'phone', action: { type: 'redact' }, wire: false },
]);
const utf8 = new ClientEncoding('UTF8');

const field = (name: string, typeOid = 25, tableOid = 0, format = 0): FieldDescription => ({
  name,
  tableOid,
  columnNumber: 0,
  typeOid,
  typeSize: -1,
  typeModifier: -1,
  format,
});

const dataRow = (...values: Array<string | Buffer | null>) => {
  const w = new Writer().int16(values.length);
  for (const value of values) {
    if (value === null) w.int32(-1);
    else {
      const bytes = typeof value === 'string' ? Buffer.from(value) : value;
      w.int32(bytes.length).bytes(bytes);
    }
  }
  return w.frame('D');
};

describe('SQL literals masked for storage', () => {
  it('masks values inside string constants of every form, numbers and comments, and keeps the rest', () => {
    const sql =
      "SELECT name FROM customers WHERE email = 'ann@example.com' AND note = E'it\\'s bob@example.com' " +
      '-- from carol@example.com\n AND card = 4111111111111111 AND body = $x$ dave@example.com $x$ AND id = $1';
    const { sql: masked, counts } = maskSqlLiterals(sql, policy.text);
    expect(masked).toBe(
      "SELECT name FROM customers WHERE email = '[MASKED:pii.email]' AND note = E'it\\'s [MASKED:pii.email]' " +
        '-- from [MASKED:pii.email]\n AND card = ••••••••••••1111 AND body = $x$ [MASKED:pii.email] $x$ AND id = $1',
    );
    expect(counts).toEqual({ 'pii.email': 4, 'pii.card': 1 });
  });

  it('leaves identifiers alone and SQL without values unchanged', () => {
    const sql = 'SELECT "ann@example.com", email FROM customers WHERE id = 42';
    expect(maskSqlLiterals(sql, policy.text)).toEqual({ sql, counts: {} });
  });

  it('writes a constant whose quoting changes its value afresh as E-string', () => {
    const { sql } = maskSqlLiterals("SELECT 'O''Brien <ob@example.com>'", policy.text);
    expect(sql).toBe("SELECT E'O\\'Brien <[MASKED:pii.email]>'");
  });
});

describe('COPY statements', () => {
  it('reads the source and the options of both syntaxes', () => {
    expect(copyOutStatement('COPY customers TO STDOUT', 0)).toEqual({
      source: 'SELECT * FROM customers',
      options: { format: 'text', delimiter: '\t', null: '\\N', quote: '"', escape: '"', header: false },
    });
    expect(
      copyOutStatement(
        `copy public."Customers" (email, name) to stdout with (format csv, header, null 'NULL')`,
        0,
      ),
    ).toEqual({
      source: 'SELECT email, name FROM public."Customers"',
      options: { format: 'csv', delimiter: ',', null: 'NULL', quote: '"', escape: '"', header: true },
    });
    expect(
      copyOutStatement("COPY (SELECT email FROM t WHERE a = ';') TO STDOUT CSV HEADER DELIMITER '|'", 0),
    ).toMatchObject({
      source: "SELECT email FROM t WHERE a = ';'",
      options: { format: 'csv', delimiter: '|', header: true },
    });
    expect(copyOutStatement('select 1; copy a to stdout; copy b to stdout binary', 1)).toMatchObject({
      source: 'SELECT * FROM b',
      options: { format: 'binary' },
    });
    expect(copyOutStatement('COPY a FROM STDIN', 0)).toBeUndefined();
  });
});

describe('COPY OUT rows masked', () => {
  const columns = [field('name'), field('email'), field('card_number'), field('balance', 1700)];
  const plan = (format: 'text' | 'csv' | 'binary', header = false): CopyPlan => ({
    policy,
    options: {
      format,
      delimiter: format === 'csv' ? ',' : '\t',
      null: format === 'csv' ? '' : '\\N',
      quote: '"',
      escape: '"',
      header,
    },
    columns: 4,
    masks: maskPlan('c', columns, () => (format === 'binary' ? 1 : 0), policy, undefined).masks,
    seen: 0,
  });

  it('text format: masked text, NULL for a non-text type, escapes kept in unmasked fields', () => {
    const row = Buffer.from('Ann\\tB\tann@example.com\t4111111111111111\t12.50\n');
    const masked = maskCopyData(row, plan('text'), utf8)!.toString();
    // The email rule names the table customers: without it resolved, the column is not masked.
    expect(masked).toBe('Ann\\tB\tann@example.com\t••••••••••••1111\t\\N\n');
  });

  it('CSV: quoted fields read and masked values quoted; the header row passes', () => {
    const p = plan('csv', true);
    expect(maskCopyData(Buffer.from('name,email,card_number,balance\n'), p, utf8)).toBeUndefined();
    const masked = maskCopyData(
      Buffer.from('"Ann, ""A""",ann@example.com,"4111111111111111",12.50\n'),
      p,
      utf8,
    );
    expect(masked!.toString()).toBe('"Ann, ""A""",ann@example.com,"••••••••••••1111",\n');
  });

  it('binary: masked fields become NULL; a row it cannot read becomes all NULL', () => {
    const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
    const tuple = new Writer().int16(4);
    for (const value of ['Ann', 'ann@example.com', '4111111111111111', 'xxxx'])
      tuple.int32(value.length).bytes(Buffer.from(value));
    const first = Buffer.concat([header, tuple.frame('d').subarray(5)]);
    const masked = maskCopyData(first, plan('binary'), utf8)!;
    expect(masked.subarray(0, header.length)).toEqual(header);
    const fields = parseDataRow(masked.subarray(header.length));
    expect(fields.map((f) => f?.toString() ?? null)).toEqual(['Ann', 'ann@example.com', null, null]);
    const unknown = { ...plan('binary'), masks: undefined, seen: 1 };
    expect(parseDataRow(maskCopyData(tuple.frame('d').subarray(5), unknown, utf8)!)).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });
});

describe('DataRow masked on the wire', () => {
  it('rewrites masked values with correct lengths: text, NULL for other types and binary, NULL kept', () => {
    const columns = [
      field('name'),
      field('card_number'),
      field('balance', 1700),
      field('card_number_2', 25, 0, 1),
    ];
    const masks = maskPlan('c', columns, (i) => columns[i]!.format, policy, undefined);
    const row = dataRow('Ann', '4111111111111111', '12.50', Buffer.from('4111111111111111'));
    const masked = maskDataRow(row.subarray(5), masks, utf8);
    expect(masked[0]).toBe(0x44);
    expect(masked.readInt32BE(1)).toBe(masked.length - 1);
    expect(parseDataRow(masked.subarray(5)).map((v) => v?.toString() ?? null)).toEqual([
      'Ann',
      '••••••••••••1111',
      null,
      null,
    ]);
    const withNull = maskDataRow(dataRow('Ann', null, null, null).subarray(5), masks, utf8);
    expect(withNull).toEqual(dataRow('Ann', null, null, null));
  });

  it('refuses a DataRow whose lengths run past it', () => {
    const masks = maskPlan('c', [field('card_number')], () => 0, policy, undefined);
    const broken = new Writer().int16(1).int32(100).bytes(Buffer.from('4111')).frame('D');
    expect(() => maskDataRow(broken.subarray(5), masks, utf8)).toThrow(/runs past/);
  });
});
