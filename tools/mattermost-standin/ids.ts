/**
 * Identifiers the way Mattermost makes them, so a service that validates ids (26 characters, letters
 * and digits) accepts the stand-in's, and one that wrongly assumes UUIDs fails here as it would there.
 */
import { randomBytes } from 'node:crypto';

/** model.NewId (server/public/model/utils.go): a random UUID in base32 with this alphabet, no padding. */
const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

export function newId(): string {
  const bytes = randomBytes(16);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** model.IsValidId: exactly 26 letters or digits. Routes answer 400 `invalid_url_param` otherwise. */
export function isValidId(value: string): boolean {
  return /^[A-Za-z0-9]{26}$/.test(value);
}
