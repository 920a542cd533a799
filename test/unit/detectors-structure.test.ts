/**
 * Secrets found by their structure or their name: JWTs, private key blocks, Google service-account keys,
 * Azure keys and SAS signatures, AWS secret keys, passwords in connection URLs and secrets assigned to a name
 * (with the entropy check). Each test asserts the exact range: for a URL only the password, for an
 * assignment only the value.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contexts, findings } from '../helpers/detector-corpus.js';
import { ALNUM, fake, random } from '../helpers/fake-secrets.js';

describe('JSON Web Tokens', () => {
  it('finds a signed JWT whole in every context, and an unsigned or encrypted one', () => {
    for (const { name, text, expected } of contexts(fake.jwt())) {
      expect(findings(text), name).toEqual([`secret.jwt: ${expected}`]);
    }
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"42","admin":true}').toString('base64url')}.`;
    expect(findings(`id_token: ${unsigned}`)).toEqual([`secret.jwt: ${unsigned}`]);
    const jwe = [
      Buffer.from('{"alg":"RSA-OAEP","enc":"A256GCM"}').toString('base64url'),
      randomBytes(40).toString('base64url'),
      randomBytes(12).toString('base64url'),
      randomBytes(60).toString('base64url'),
      randomBytes(16).toString('base64url'),
    ].join('.');
    expect(findings(`Authorization: Bearer ${jwe}`)).toEqual([`secret.jwt: ${jwe}`]);
  });

  it('reports no dotted base64 whose first part is not a JOSE header', () => {
    const notHeader = `${Buffer.from('{"typ":"JWT"}').toString('base64url')}.eyJzdWIiOiIxIn0.c2lnbmF0dXJl`;
    const image = `data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==`;
    for (const text of [notHeader, image, 'see eyJhbGciOi in the docs'])
      expect(findings(text), text).toEqual([]);
  });
});

describe('private keys', () => {
  const blocks = {
    'PKCS #8': fake.rsaPkcs8Pem(),
    'PKCS #1 RSA': fake.rsaPkcs1Pem(),
    'SEC 1 EC': fake.ecPem(),
    'encrypted PKCS #8': fake.encryptedPem(),
    OpenSSH: fake.opensshPem(),
  };
  for (const [kind, pem] of Object.entries(blocks)) {
    it(`finds a ${kind} block whole, from BEGIN to the end of its END line`, () => {
      for (const { name, text, expected } of contexts(pem.trimEnd())) {
        expect(findings(text), name).toEqual([`secret.private_key: ${expected}`]);
      }
    });
  }

  it('finds a block whose END line was cut off, as far as its body goes', () => {
    const pem = fake.rsaPkcs8Pem();
    const cut = pem.slice(0, 400);
    expect(findings(`${cut}`)).toEqual([`secret.private_key: ${cut.trimEnd()}`]);
  });

  it('reports a public key or a certificate as nothing', () => {
    const text = `-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE${random(ALNUM, 40)}\n-----END PUBLIC KEY-----\nThe private key is kept in the vault.`;
    expect(findings(text)).toEqual([]);
  });

  it('names the private key of a Google service-account key file as such', () => {
    const pem = fake.rsaPkcs8Pem();
    const file = JSON.stringify(
      {
        type: 'service_account',
        project_id: 'billing-prod',
        private_key_id: random('0123456789abcdef', 40),
        private_key: pem,
      },
      null,
      2,
    );
    const escaped = JSON.stringify(pem.trimEnd()).slice(1, -1);
    expect(findings(file)).toEqual([`secret.gcp_service_account_key: ${escaped}`]);
    // Read by a tool and sent back inside a JSON string: escaped twice.
    const twice = JSON.stringify({ content: file });
    expect(findings(twice)).toEqual([
      `secret.gcp_service_account_key: ${JSON.stringify(escaped).slice(1, -1)}`,
    ]);
  });
});

describe('cloud keys next to their names', () => {
  it('finds an AWS secret access key only after its name, in credentials files, env and JSON', () => {
    const secret = fake.awsSecretAccessKey();
    for (const text of [
      `[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = ${secret}\n`,
      `export AWS_SECRET_ACCESS_KEY="${secret}"`,
      JSON.stringify({ Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: secret } }),
    ]) {
      expect(findings(text), text).toEqual([`secret.aws_secret_access_key: ${secret}`]);
    }
    expect(findings(`checksum ${secret.replace(/[+/]/g, 'x')} of the build`)).toEqual([]);
  });

  it('finds Azure storage account keys in connection strings, and a SAS signature but not its other parameters', () => {
    const key = fake.azureStorageKey();
    const connection = `DefaultEndpointsProtocol=https;AccountName=billingprod;AccountKey=${key};EndpointSuffix=core.windows.net`;
    expect(findings(connection)).toEqual([`secret.azure_storage_key: ${key}`]);
    const sig = fake.azureSasSignature();
    const url = `https://billingprod.blob.core.windows.net/invoices/2025-05.pdf?sp=r&st=2025-05-01T11:42:32Z&se=2025-05-01T19:42:32Z&spr=https&sv=2022-11-02&sr=b&sig=${sig}`;
    expect(findings(url)).toEqual([`secret.azure_sas_token: ${sig}`]);
    expect(findings('https://example.com/search?q=x&sig=abcdefghijklmnopqrstuvwxyz')).toEqual([]);
  });
});

describe('passwords in connection URLs', () => {
  const password = random(ALNUM, 20);
  const urls = [
    `postgres://app:${password}@db.internal:5432/billing`,
    `postgresql://app:${password}@10.0.0.5/billing?sslmode=require`,
    `mysql://root:${password}@mysql.internal:3306/shop`,
    `mongodb+srv://svc:${password}@cluster0.ab1cd.mongodb.net/test?retryWrites=true`,
    `mongodb://svc:${password}@mongo-1:27017,mongo-2:27017/?replicaSet=rs0`,
    `redis://:${password}@cache.internal:6379/0`,
    `rediss://default:${password}@cache.example.com:6380`,
    `amqp://guest:${password}@rabbit.internal:5672/vhost`,
    `amqps://guest:${password}@rabbit.example.com/vhost`,
    `http://proxyuser:${password}@proxy.corp:3128`,
  ];
  for (const url of urls) {
    it(`reports only the password of ${url.slice(0, url.indexOf(':'))}://…`, () => {
      expect(findings(`DATABASE_URL=${url}`)).toEqual([`secret.url_password: ${password}`]);
      expect(findings(JSON.stringify({ url }))).toEqual([`secret.url_password: ${password}`]);
    });
  }

  it('keeps a password holding @ whole, and leaves placeholders and password-less URLs alone', () => {
    expect(findings('postgres://app:p@ss-w0rd!2024@db:5432/x')).toEqual([
      'secret.url_password: p@ss-w0rd!2024',
    ]);
    expect(findings('postgres://app:MyPassword2024!@db:5432/x')).toEqual([
      'secret.url_password: MyPassword2024!',
    ]);
    for (const text of [
      'postgres://user:password@localhost:5432/db',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable in a URL, as .env files write it
      'postgres://user:${DB_PASSWORD}@localhost/db',
      'mongodb://admin:****@cluster/db',
      'redis://localhost:6379',
      'ssh://git@github.com:22/org/repo.git',
      'https://user@example.com/path',
      "psql 'postgres://prod:LOCALSECRET@127.0.0.1:6432/app'",
    ]) {
      expect(findings(text), text).toEqual([]);
    }
  });
});

describe('secrets assigned to a name, with the entropy check', () => {
  const value = fake.password(32);
  const forms: Array<[string, string]> = [
    ['.env', `DB_PASSWORD=${value}\n`],
    ['shell export', `export API_TOKEN=${value}`],
    ['JSON', JSON.stringify({ auth: { client_secret: value } })],
    ['JSON inside a JSON string', JSON.stringify({ content: JSON.stringify({ secret: value }) })],
    ['YAML', `database:\n  password: "${value}"\n`],
    ['YAML unquoted', `api_key: ${value}\n`],
    ['Python', `SECRET_KEY = '${value}'`],
    ['TypeScript', `const apiKey = "${value}";`],
    ['Go', `password := "${value}"`],
    ['PHP', `'db_password' => '${value}',`],
    ['query string', `https://api.example.com/v1/items?access_token=${value}&page=2`],
    ['HTTP header', `curl -H "X-Api-Key: ${value}" https://api.example.com`],
    ['connection string', `Server=db;Database=shop;User Id=app;Password=${value};`],
    ['PGPASSWORD', `PGPASSWORD=${value} psql -h db -U app`],
  ];
  for (const [form, text] of forms) {
    it(`reports the value only, in ${form}`, () => {
      const expected = text.includes('\\"') ? JSON.stringify(value).slice(1, -1) : value;
      expect(findings(text)).toEqual([`secret.assignment: ${expected}`]);
    });
  }

  it('reports the base64 credential of a Docker config.json auth', () => {
    const auth = Buffer.from(`ci-bot:${random(ALNUM, 24)}`).toString('base64');
    const config = JSON.stringify({ auths: { 'registry.example.com': { auth } } }, null, 2);
    expect(findings(config)).toEqual([`secret.assignment: ${auth}`]);
  });

  it('reports the credential of an Authorization header, not its scheme', () => {
    const token = random(ALNUM, 40);
    expect(findings(`Authorization: Bearer ${token}`)).toEqual([`secret.assignment: ${token}`]);
    const basic = Buffer.from(`svc:${random(ALNUM, 16)}`).toString('base64');
    expect(findings(`-H 'Authorization: Basic ${basic}'`)).toEqual([`secret.assignment: ${basic}`]);
  });

  it('leaves low-entropy values, placeholders, references and names that are not secrets alone', () => {
    for (const text of [
      'password=changeme',
      'DB_PASSWORD=password123',
      'PASSWORD=P@ssw0rd',
      'api_key: <your-api-key>',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable reference
      'export API_TOKEN=${API_TOKEN}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression
      'token: ${{ secrets.GITHUB_TOKEN }}',
      'const token = process.env.GITHUB_TOKEN;',
      'const token = await getToken(user);',
      'secret = config.secret_value',
      'API_KEY=YOUR_API_KEY',
      '"max_tokens": 32000, "input_tokens": 1234567',
      '"token_type": "bearer", "expires_in": 3599',
      '"tokenizer": "cl100k_base_extended_2024"',
      'SECRET_NAME=billing-prod-db-credentials',
      'password_file: /run/secrets/db_password',
      'auth: true',
      '"description": "The secret: a sentence about tokens and passwords."',
      'bypass=abcdefghijklmnop1234',
      // Code: calls, types, names and method names after a secret's name.
      "const token = readFileSync(path, 'utf8').trim();",
      'export const anthropicApiKey = regexDetector({',
      '  credentials: ScramCredentials;\n  store: Store;',
      "const server = await startPostgres({ auth: 'scram-sha-256' });",
      "const header = m.headers['x-api-key'] ? 'x-api-key' : 'authorization';",
      '/** A fresh password: lower-case letters and digits */',
    ]) {
      expect(findings(text), text).toEqual([]);
    }
  });
});
