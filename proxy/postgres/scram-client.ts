import { randomBytes } from 'node:crypto';
import {
  attribute,
  base64,
  CBIND_TYPE,
  decode,
  deriveKeys,
  extensions,
  fail,
  hmac,
  nonce,
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  type ScramChannelBinding,
  sameBytes,
  xor,
} from './scram.js';

/** Highest iteration count the client accepts from a server-first-message. */
const MAX_ITERATIONS = 10_000_000;

/**
 * Client side of one SCRAM-SHA-256(-PLUS) exchange (RFC 5802 section 5, RFC 7677), as libpq runs it:
 * chooseMechanism (AuthenticationSASL list) -> clientFirst (SASLInitialResponse) -> clientFinal (SASLResponse,
 * given AuthenticationSASLContinue) -> verifyServerFinal (AuthenticationSASLFinal). `user` defaults to "" as libpq
 * sends. Every method throws only ScramError; any failure ends the exchange.
 */
export class ScramClient {
  readonly #password: string;
  readonly #nonce: string;
  readonly #user: string;
  readonly #binding: ScramChannelBinding | undefined;
  #gs2Header: string | undefined;
  #state: 'initial' | 'first' | 'final' | 'done' = 'initial';
  #clientFirstBare = '';
  #serverSignature: Buffer = Buffer.alloc(0);

  constructor(
    password: string,
    options: { nonce?: string; channelBinding?: ScramChannelBinding; user?: string } = {},
  ) {
    this.#password = password;
    this.#nonce = nonce(options.nonce ?? randomBytes(18).toString('base64'), 'client nonce');
    this.#user = options.user ?? '';
    this.#binding = options.channelBinding;
  }

  /** RFC 5802 section 6: PLUS when offered and binding data was given, else SCRAM-SHA-256; else ScramError. */
  chooseMechanism(offered: readonly string[]): string {
    if (this.#state !== 'initial') fail('invalid-state', 'mechanism chosen after clientFirst');
    if (this.#binding && offered.includes(SCRAM_SHA_256_PLUS)) {
      this.#gs2Header = `p=${CBIND_TYPE},,`;
      return SCRAM_SHA_256_PLUS;
    }
    if (!offered.includes(SCRAM_SHA_256)) {
      fail('unsupported-mechanism', `no supported SASL mechanism in ${JSON.stringify(offered)}`);
    }
    this.#gs2Header = this.#binding ? 'y,,' : 'n,,';
    return SCRAM_SHA_256;
  }

  /** client-first-message: gs2-header "n=<user>,r=<nonce>" (RFC 5802 section 7). Defaults to SCRAM-SHA-256. */
  clientFirst(): Buffer {
    if (this.#state !== 'initial') fail('invalid-state', 'clientFirst called twice');
    if (this.#gs2Header === undefined) this.chooseMechanism([SCRAM_SHA_256]);
    const gs2Header = this.#gs2Header ?? 'n,,';
    const user = this.#user.replaceAll('=', '=3D').replaceAll(',', '=2C');
    this.#clientFirstBare = `n=${user},r=${this.#nonce}`;
    this.#state = 'first';
    return Buffer.from(gs2Header + this.#clientFirstBare);
  }

  /**
   * Parses server-first-message "r=...,s=...,i=..." (RFC 5802 section 7) and returns client-final-message
   * "c=...,r=...,p=...". Throws ScramError 'malformed', 'nonce-mismatch' or 'iteration-count' (outside 1..10,000,000).
   */
  clientFinal(serverFirst: Buffer): Buffer {
    if (this.#state !== 'first') fail('invalid-state', 'clientFinal needs exactly one clientFirst');
    this.#state = 'done';
    const what = 'server-first-message';
    const text = decode(serverFirst, what);
    const parts = text.split(',');
    const combined = nonce(attribute(parts[0], 'r', what), what);
    if (!combined.startsWith(this.#nonce) || combined.length === this.#nonce.length) {
      fail('nonce-mismatch', `${what}: server nonce does not extend the client nonce`);
    }
    const salt = base64(attribute(parts[1], 's', what), `${what} s=`);
    const iterationText = attribute(parts[2], 'i', what);
    if (!/^[0-9]+$/.test(iterationText)) fail('malformed', `${what}: invalid iteration count`);
    const iterations = Number(iterationText);
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      fail('iteration-count', `${what}: iteration count ${iterationText} is out of range`);
    }
    extensions(parts.slice(3), what);
    const gs2Header = this.#gs2Header ?? 'n,,';
    const bindingData = gs2Header.startsWith('p=') ? this.#binding?.data : undefined;
    const cbind = Buffer.concat([Buffer.from(gs2Header), bindingData ?? Buffer.alloc(0)]).toString('base64');
    const withoutProof = `c=${cbind},r=${combined}`;
    const authMessage = `${this.#clientFirstBare},${text},${withoutProof}`;
    const { clientKey, storedKey, serverKey } = deriveKeys(this.#password, salt, iterations);
    const proof = xor(clientKey, hmac(storedKey, authMessage));
    this.#serverSignature = hmac(serverKey, authMessage);
    this.#state = 'final';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Checks server-final-message "v=..." (RFC 5802 sections 3, 7); throws 'server-error' on "e=...", else mismatch. */
  verifyServerFinal(serverFinal: Buffer): void {
    if (this.#state !== 'final') fail('invalid-state', 'verifyServerFinal needs clientFinal first');
    this.#state = 'done';
    const what = 'server-final-message';
    const parts = decode(serverFinal, what).split(',');
    if (parts[0]?.startsWith('e=')) fail('server-error', `SCRAM server error: ${parts[0].slice(2)}`);
    const signature = base64(attribute(parts[0], 'v', what), `${what} v=`);
    extensions(parts.slice(1), what);
    if (!sameBytes(signature, this.#serverSignature)) {
      fail('invalid-server-signature', 'server signature does not match: wrong server or password');
    }
  }
}
