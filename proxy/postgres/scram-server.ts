import { randomBytes } from 'node:crypto';
import {
  attribute,
  base64,
  CBIND_TYPE,
  checkIterations,
  decode,
  extensions,
  fail,
  hmac,
  KEY_LENGTH,
  nonce,
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  type ScramChannelBinding,
  type ScramCredentials,
  sameBytes,
  sha256,
  xor,
} from './scram.js';

/**
 * Server side of one SCRAM-SHA-256(-PLUS) exchange (RFC 5802 section 5, RFC 7677), as PostgreSQL runs it after
 * AuthenticationSASL: `clientFirst` answers SASLInitialResponse with the server-first-message (send it in
 * AuthenticationSASLContinue), `clientFinal` answers SASLResponse with the server-final-message (AuthenticationSASLFinal).
 * Offer SCRAM-SHA-256-PLUS only when `channelBinding` is given. The SCRAM user name is ignored, as in PostgreSQL.
 * Every method throws only ScramError; any failure ends the exchange.
 */
export class ScramServer {
  readonly #credentials: ScramCredentials;
  readonly #serverNonce: string;
  readonly #binding: ScramChannelBinding | undefined;
  #state: 'initial' | 'first' | 'done' = 'initial';
  #gs2Header = '';
  #nonce = '';
  #authPrefix = '';

  constructor(
    credentials: ScramCredentials,
    options: { nonce?: string; channelBinding?: ScramChannelBinding } = {},
  ) {
    checkIterations(credentials.iterations);
    this.#credentials = credentials;
    this.#serverNonce = nonce(options.nonce ?? randomBytes(18).toString('base64'), 'server nonce');
    this.#binding = options.channelBinding;
  }

  /** Parses client-first-message (RFC 5802 section 7) and returns server-first-message "r=...,s=...,i=...". */
  clientFirst(mechanism: string, data: Buffer): Buffer {
    if (this.#state !== 'initial') fail('invalid-state', 'clientFirst called twice');
    this.#state = 'done';
    const plus = mechanism === SCRAM_SHA_256_PLUS;
    if (mechanism !== SCRAM_SHA_256 && !(plus && this.#binding)) {
      fail('unsupported-mechanism', `mechanism ${JSON.stringify(mechanism)} was not offered`);
    }
    const what = 'client-first-message';
    const parts = decode(data, what).split(',');
    const [flag = '', authzid] = parts;
    if (flag === 'n' || flag === 'y') {
      if (plus) fail('channel-binding', 'SCRAM-SHA-256-PLUS selected without channel binding');
      if (flag === 'y' && this.#binding) {
        fail('channel-binding', 'client thinks the server cannot bind channels (downgrade?)');
      }
    } else if (flag.startsWith('p=')) {
      if (!plus) fail('channel-binding', 'SCRAM-SHA-256 selected but channel binding requested');
      if (flag !== `p=${CBIND_TYPE}`) fail('channel-binding', `unsupported binding ${flag.slice(2)}`);
    } else {
      fail('malformed', `${what}: invalid gs2-cbind-flag`);
    }
    if (authzid !== '') fail('malformed', `${what}: authzid is not supported`);
    const bare = parts.slice(2);
    const user = attribute(bare[0], 'n', what, true);
    if (!/^(?:[^=]|=2C|=3D)*$/.test(user)) fail('malformed', `${what}: invalid saslname`);
    const clientNonce = nonce(attribute(bare[1], 'r', what), what);
    extensions(bare.slice(2), what);
    this.#gs2Header = `${flag},,`;
    this.#nonce = clientNonce + this.#serverNonce;
    const { salt, iterations } = this.#credentials;
    const serverFirst = `r=${this.#nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.#authPrefix = `${bare.join(',')},${serverFirst}`;
    this.#state = 'first';
    return Buffer.from(serverFirst);
  }

  /** Checks client-final-message "c=...,r=...,p=..." (RFC 5802 sections 3, 6, 7); returns server-final "v=...". */
  clientFinal(data: Buffer): Buffer {
    if (this.#state !== 'first') fail('invalid-state', 'clientFinal needs exactly one clientFirst');
    this.#state = 'done';
    const what = 'client-final-message';
    const parts = decode(data, what).split(',');
    if (parts.length < 3) fail('malformed', `${what}: too few attributes`);
    const cbind = base64(attribute(parts[0], 'c', what), `${what} c=`);
    const clientNonce = attribute(parts[1], 'r', what);
    extensions(parts.slice(2, -1), what);
    const proof = base64(attribute(parts[parts.length - 1], 'p', what), `${what} p=`, KEY_LENGTH);
    const bindingData = this.#gs2Header.startsWith('p=') ? this.#binding?.data : undefined;
    const expected = Buffer.concat([Buffer.from(this.#gs2Header), bindingData ?? Buffer.alloc(0)]);
    if (!cbind.equals(expected)) fail('channel-binding', 'channel binding data does not match');
    if (clientNonce !== this.#nonce) fail('nonce-mismatch', `${what}: nonce does not match`);
    const authMessage = `${this.#authPrefix},${parts.slice(0, -1).join(',')}`;
    const { storedKey, serverKey } = this.#credentials;
    const clientKey = xor(proof, hmac(storedKey, authMessage));
    if (!sameBytes(sha256(clientKey), storedKey)) fail('invalid-proof', 'password authentication failed');
    return Buffer.from(`v=${hmac(serverKey, authMessage).toString('base64')}`);
  }
}
