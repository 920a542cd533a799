import { createHash } from 'node:crypto';

/**
 * Response to AuthenticationMD5Password (PostgreSQL docs 55.3.2, 55.7): "md5" + md5hex(md5hex(password + user) + salt),
 * salt being the 4 raw bytes the server sent. Returns the PasswordMessage string; throws nothing.
 */
export function md5PasswordResponse(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password).update(user).digest('hex');
  return `md5${createHash('md5').update(inner).update(salt).digest('hex')}`;
}
