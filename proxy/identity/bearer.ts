/**
 * The bearer token team clients send to the team server (proxy/sync/types.ts BearerSource): the stored
 * access token of the verified sign-in — or its ID token, where the server asks for one because the provider's
 * access tokens are opaque (team.token "id_token"). Read from the token store at each call, since another
 * process (a `glassbox login`, the refresh in a CLI) may have replaced it; the identity component keeps it
 * fresh in the background.
 */
import type { BearerSource } from '../sync/types.js';
import { storeForState } from './token-store.js';
import type { IdentitySource, TokenSet } from './types.js';

/** Tokens closer than this to expiry are not sent (ms): the server would refuse them in flight. */
const EXPIRY_MARGIN_MS = 5_000;

/** A {@link BearerSource} over the engine's identity and token store. */
export class IdentityBearer implements BearerSource {
  constructor(
    private readonly home: string,
    private readonly identity: IdentitySource,
    private readonly kind: () => 'access_token' | 'id_token',
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  bearer(): string | undefined {
    if (!this.identity.current().verified) return undefined;
    const state = this.identity.state();
    let tokens: TokenSet | null | undefined;
    try {
      tokens = storeForState(this.home, state, this.env)?.read();
    } catch {
      return undefined;
    }
    if (!tokens || tokens.token_fingerprint !== state.token_fingerprint) return undefined;
    if (this.kind() === 'id_token') return tokens.id_token ?? undefined;
    return tokens.expires_at > Date.now() + EXPIRY_MARGIN_MS ? tokens.access_token : undefined;
  }
}
