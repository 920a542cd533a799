import type { TestColumnRule } from './masking-policy.js';

/**
 * The column rules of the masking tests: on the wire, customers' email, card number and numeric balance;
 * in storage only, any column named phone.
 */
export const CUSTOMER_RULES: TestColumnRule[] = [
  { id: 'column.email', table: 'customers', column: 'email', action: { type: 'redact' }, wire: true },
  {
    id: 'column.card_number',
    table: 'customers',
    column: 'card_number',
    action: { type: 'partial', keep: 4 },
    wire: true,
  },
  { id: 'column.balance', table: 'customers', column: 'balance', action: { type: 'hash' }, wire: true },
  { id: 'column.phone', column: 'phone', action: { type: 'redact' }, wire: false },
];

/** The customers table, as created in the database (read directly, never through Glassbox). */
export const CUSTOMERS = [
  {
    id: 1,
    name: 'Ann Lee',
    email: 'ann.lee@example.com',
    card: '4111111111111111',
    phone: '+1 415 555 0101',
    balance: '120.50',
  },
  {
    id: 2,
    name: "Bob O'Neil",
    email: 'bob.oneil@example.org',
    card: '5500005555555559',
    phone: '+44 20 7946 0958',
    balance: '-3.00',
  },
  {
    id: 3,
    name: 'Chloé Dubois',
    email: 'chloe@example.fr',
    card: '340000000000009',
    phone: '+33 1 23 45 67 89',
    balance: '0.00',
  },
];

/** SQL creating and filling the customers table. */
export function customersSql(): string {
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const rows = CUSTOMERS.map(
    (c) =>
      `(${c.id}, ${q(c.name)}, ${q(c.email)}, ${q(c.card)}, ${q(c.phone)}, ${c.balance}, 'note ${c.id}')`,
  );
  return (
    'CREATE TABLE customers (id int PRIMARY KEY, name text, email text, card_number varchar(19), phone text, ' +
    `balance numeric(12,2), notes text); INSERT INTO customers VALUES ${rows.join(', ')}`
  );
}
