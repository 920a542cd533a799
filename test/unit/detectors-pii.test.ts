/**
 * Personal data: email addresses, phone numbers (international, NANP, trunk-prefix national, after `phone:`),
 * payment cards (issuer ranges, lengths, Luhn), IBANs (checksum), US SSNs (validity rules) and public IP
 * addresses; each with the look-alikes that must stay unreported (versions, dates, order ids, timestamps,
 * private and documentation addresses, asset names).
 */
import { describe, expect, it } from 'vitest';
import { contexts, findings } from '../helpers/detector-corpus.js';
import { fake } from '../helpers/fake-secrets.js';

function expectEverywhere(id: string, value: string) {
  for (const { name, text, expected } of contexts(value))
    expect(findings(text), name).toEqual([`${id}: ${expected}`]);
}

describe('email addresses', () => {
  it('finds an address in every context, also right after a \\n escape in a JSON string', () => {
    expectEverywhere('pii.email', fake.email());
    expectEverywhere('pii.email', 'first.last+billing@mail.example.co.uk');
  });

  it('reports no asset names, URL users, Git remotes, package versions or decorators', () => {
    for (const text of [
      '<img src="logo@2x.png"> and icon@3x.webp',
      'git clone git@github.com:glassbox/engine.git',
      'npm i @types/node@20.11.5 react@19.1.0',
      '@Component({ selector: "app" })',
      'ssh://deploy@host.internal:22/srv',
      'user@localhost',
    ]) {
      expect(findings(text), text).toEqual([]);
    }
  });
});

describe('phone numbers', () => {
  it('finds international numbers of any country in every context', () => {
    expectEverywhere('pii.phone', fake.usPhone());
    expectEverywhere('pii.phone', '+44 20 7946 0958');
    expectEverywhere('pii.phone', '+49 30 901820');
    expectEverywhere('pii.phone', '+33 6 12 34 56 78');
    expectEverywhere('pii.phone', '+81 3-1234-5678');
  });

  it('finds the national formats of the default regions, and 00 as the international prefix', () => {
    for (const number of [
      '(415) 555-2671',
      '415-555-2671',
      '415.555.2671',
      '020 7946 0958',
      '030 901820',
      '06 12 34 56 78',
      '0044 20 7946 0958',
    ]) {
      expect(findings(`Call ${number} before noon.`), number).toEqual([`pii.phone: ${number}`]);
    }
  });

  it('finds a bare number only after words that say it is a phone number', () => {
    expect(findings('{"name": "Ann", "phone": "4155552671"}')).toEqual(['pii.phone: 4155552671']);
    expect(findings('mobile: +447911123456')).toEqual(['pii.phone: +447911123456']);
    expect(findings('{"order_id": 4155552671}')).toEqual([]);
  });

  it('drops a trailing group that is not part of the number', () => {
    expect(findings('+1 415 555 2671 12 items')).toEqual(['pii.phone: +1 415 555 2671']);
  });

  it('reports no dates, times, versions, addresses, ids or numbers with thousands separators', () => {
    for (const text of [
      'released 2024-05-01, patched 01.06.2024 and 12/31/2023',
      '2025-05-01T12:00:00.123Z took 1234.5 ms',
      'version 10.15.7.1234 build 22631.3447',
      'listening on 10.0.0.12:8080',
      'order 1712345678 shipped, ticket #48213377',
      'population 1 234 567 and 12 345 678',
      'uuid 4f6c3d2e-1b8a-4c7e-9d2f-0a1b2c3d4e5f',
      'ISBN 978-3-16-148410-0',
      '(555) 123-4567 is fictional',
    ]) {
      expect(findings(text), text).toEqual([]);
    }
  });
});

describe('payment card numbers', () => {
  const cards: Array<[string, string, number]> = [
    ['Visa', '4', 16],
    ['Visa 13', '4', 13],
    ['Mastercard', '53', 16],
    ['Mastercard 2-series', '2221', 16],
    ['American Express', '37', 15],
    ['Discover', '6011', 16],
    ['Diners Club', '36', 14],
    ['JCB', '3530', 16],
    ['UnionPay', '62', 19],
    ['Maestro', '6759', 18],
  ];
  for (const [network, prefix, length] of cards) {
    it(`finds a ${network} number bare, with spaces and with dashes`, () => {
      const digits = fake.card(prefix, length);
      expectEverywhere('pii.card', digits);
      const spaced = digits.replace(/(\d{4})(?=\d)/g, '$1 ');
      const dashed = digits.replace(/(\d{4})(?=\d)/g, '$1-');
      expect(findings(`card: ${spaced}.`)).toEqual([`pii.card: ${spaced}`]);
      expect(findings(`"pan":"${dashed}"`)).toEqual([`pii.card: ${dashed}`]);
    });
  }

  it('finds an Amex number in its 4-6-5 grouping', () => {
    const amex = fake.card('34', 15);
    const grouped = `${amex.slice(0, 4)} ${amex.slice(4, 10)} ${amex.slice(10)}`;
    expect(findings(`AMEX ${grouped} exp 04/27`)).toEqual([`pii.card: ${grouped}`]);
  });

  it('reports no failing Luhn, unknown issuers, longer numbers, decimals or timestamps', () => {
    const visa = fake.card('4', 16);
    const wrong = visa.slice(0, -1) + ((Number(visa.at(-1)) + 1) % 10);
    for (const text of [
      `card ${wrong}`,
      `id ${fake.card('9', 16)}`,
      `trace ${visa}7`,
      `ratio 0.${visa}`,
      'ts 1717000000123456 and 1717000000123',
      'sha 4f6c3d2e1b8a4c7e9d2f0a1b2c3d4e5f60718293',
    ]) {
      expect(findings(text), text).toEqual([]);
    }
  });
});

describe('IBANs', () => {
  it('finds valid IBANs of several countries, electronic and in groups of four', () => {
    for (const [country, digits, bank] of [
      ['DE', 18, ''],
      ['CH', 17, ''],
      ['AT', 16, ''],
      ['GB', 14, 'NWBK'],
      ['NL', 10, 'ABNA'],
    ] as const) {
      const iban = fake.iban(country, digits, bank);
      expectEverywhere('pii.iban', iban);
      const printed = iban.replace(/(.{4})(?=.)/g, '$1 ');
      expect(findings(`IBAN: ${printed}`)).toEqual([`pii.iban: ${printed}`]);
    }
  });

  it('reports no IBAN with a wrong check digit or length, and no look-alike codes', () => {
    const iban = fake.iban('DE', 18);
    const wrong = `${iban.slice(0, 2)}${String((Number(iban.slice(2, 4)) + 1) % 100).padStart(2, '0')}${iban.slice(4)}`;
    for (const text of [
      `IBAN ${wrong}`,
      `IBAN ${iban.slice(0, -1)}`,
      'ref AB12CDEFGHIJKLMNOP',
      'US12345678901234567',
    ]) {
      expect(findings(text), text).toEqual([]);
    }
  });
});

describe('US Social Security numbers', () => {
  it('finds a valid number with dashes or spaces in every context', () => {
    expectEverywhere('pii.us_ssn', fake.ssn());
    const ssn = fake.ssn().replace(/-/g, ' ');
    expect(findings(`SSN ${ssn} on file`)).toEqual([`pii.us_ssn: ${ssn}`]);
  });

  it('finds nine bare digits only after SSN or social security', () => {
    expect(findings('"ssn": "123456789"')).toEqual(['pii.us_ssn: 123456789']);
    expect(findings('Social Security No.: 078051120')).toEqual(['pii.us_ssn: 078051120']);
    expect(findings('"zip_plus4": "123456789"')).toEqual([]);
  });

  it('reports no number the SSA never issues, and no part of a longer dashed number', () => {
    for (const text of [
      '000-12-3456',
      '666-12-3456',
      '912-34-5678',
      '123-00-4567',
      '123-45-0000',
      'part 12-123-45-6789-00',
    ]) {
      expect(findings(`SSN ${text}`), text).toEqual([]);
    }
  });
});

describe('IP addresses', () => {
  it('finds public IPv4 and IPv6 addresses in every context', () => {
    expectEverywhere('pii.ip_address', fake.publicIPv4());
    expectEverywhere('pii.ip_address', '2a00:1450:4001:82b::200e');
    expect(findings('client 8.8.8.8:53 and [2606:4700:4700::1111]:443')).toEqual([
      'pii.ip_address: 8.8.8.8',
      'pii.ip_address: 2606:4700:4700::1111',
    ]);
  });

  it('reports no private, loopback, link-local, documentation, mapped-private or reserved address', () => {
    for (const text of [
      '127.0.0.1 10.1.2.3 172.16.0.5 192.168.1.10 100.64.0.1 169.254.169.254 0.0.0.0 255.255.255.0 224.0.0.251',
      '192.0.2.10 198.51.100.7 203.0.113.99',
      '::1 :: fe80::1%eth0 fd12:3456:789a::1 2001:db8::8a2e:370:7334 ::ffff:192.168.0.1 ff02::1',
    ]) {
      expect(findings(text), text).toEqual([]);
    }
  });

  it('reports no version numbers, OIDs, times, MACs or code written like addresses', () => {
    for (const text of [
      'upgrade to v1.2.3.4 (version 8.8.8.8, Version: 4.4.4.4) or 1.2.3.4-beta',
      'OID 1.3.6.1.4.1.311 and 2.16.840.1.101.3.4.2.1',
      'at 12:30:45 on 2025-05-01, mac 00:1a:2b:3c:4d:5e',
      'std::vector<int> v; Vec::new(); a::b::c',
      'Chrome/120.0.6099.109 Safari/537.36',
      'standard_conforming_strings (PostgreSQL docs, 4.1.2.1 String Constants), see § 4.1.2.2',
    ]) {
      expect(findings(text), text).toEqual([]);
    }
  });
});
