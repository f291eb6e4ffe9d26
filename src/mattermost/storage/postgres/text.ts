/**
 * PostgreSQL's text cannot hold the character U+0000 (https://www.postgresql.org/docs/current/datatype-character.html):
 * a parameter holding one fails its whole statement. Such a key (a crafted `state` in a callback's
 * query) can never have been stored, so a lookup answers "absent" without asking the database, as
 * SQLite would; a write of one is refused with a plain error. The lease keys, which hold U+0000 by
 * design (the getter's `oauth-refresh:<user>\u0000<provider>`), are stored escaped instead.
 */
export function storable(...values: Array<string | undefined>): boolean {
  return values.every((value) => value === undefined || !value.includes('\u0000'));
}

export function requireStorable(what: string, ...values: Array<string | undefined>): void {
  if (!storable(...values)) throw new Error(`The ${what} holds the character U+0000, which PostgreSQL cannot store`);
}

/** A lease key as text: JSON's escaping without the quotes, so each key has one text, and U+0000 is `\u0000`. */
export function leaseKeyText(key: string): string {
  return JSON.stringify(key).slice(1, -1);
}
