import type { Identity } from '../../proxy/store/types.js';

/** The identity tests record sessions under: a local developer with no OIDC login. */
export const TEST_IDENTITY: Identity = {
  subject: null,
  email: null,
  groups: [],
  verified: false,
  os_user: 'dev',
  host: 'box',
};
