/**
 * The service's schema, as ordered migrations: each runs once per database, in order, and the
 * highest applied is recorded in `schema_version`. Both dialects sit side by side so they change
 * together. A migration is never edited once released: a change is a new one at the end.
 *
 * Times the application compares (a link's or a state's `expires_at`) are epoch milliseconds of the
 * service's clock, as the records carry them. The lease's expiry is the database's own time on
 * PostgreSQL, so that instances whose clocks differ still agree on when it ends (mattermost.md,
 * "Storage for a standalone service").
 *
 * Records are JSON text in both, not JSONB: JSONB refuses a string holding U+0000
 * (https://www.postgresql.org/docs/current/datatype-json.html), which an account name from a
 * provider may hold, whereas JSON.stringify writes it as the six characters `\u0000`, which TEXT keeps.
 */
export interface Migration {
  version: number;
  /** Why it exists, for the log and for whoever reads `schema_version`. */
  description: string;
  sqlite: string;
  postgres: string;
}

/** Migration 2, the same in both dialects. */
const LINK_PERSON_COLUMNS = `
  ALTER TABLE connect_links ADD COLUMN person_name TEXT;
  ALTER TABLE connect_links ADD COLUMN person_language TEXT;
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'tokens, pending states (one per link), connect links, refresh lease, command response URLs',
    sqlite: `
      CREATE TABLE tokens (
        user_id TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        record TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, provider_id)
      );
      CREATE TABLE pending_states (
        state TEXT PRIMARY KEY,
        link_id TEXT,
        record TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX pending_states_one_per_link ON pending_states (link_id) WHERE link_id IS NOT NULL;
      CREATE INDEX pending_states_expiry ON pending_states (expires_at);
      CREATE TABLE connect_links (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        link_id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        room_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        browser_binding TEXT
      );
      CREATE INDEX connect_links_by_user ON connect_links (user_id, provider_id, seq);
      CREATE INDEX connect_links_expiry ON connect_links (expires_at);
      CREATE TABLE lease (
        key TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX lease_expiry ON lease (expires_at);
      CREATE TABLE response_urls (
        user_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        url TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, channel_id)
      );
      CREATE INDEX response_urls_expiry ON response_urls (expires_at);
    `,
    postgres: `
      CREATE TABLE tokens (
        user_id TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        record TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, provider_id)
      );
      CREATE TABLE pending_states (
        state TEXT PRIMARY KEY,
        link_id TEXT,
        record TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE UNIQUE INDEX pending_states_one_per_link ON pending_states (link_id) WHERE link_id IS NOT NULL;
      CREATE INDEX pending_states_expiry ON pending_states (expires_at);
      CREATE TABLE connect_links (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        link_id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        room_id TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        browser_binding TEXT
      );
      CREATE INDEX connect_links_by_user ON connect_links (user_id, provider_id, seq);
      CREATE INDEX connect_links_expiry ON connect_links (expires_at);
      CREATE TABLE lease (
        key TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX lease_expiry ON lease (expires_at);
      CREATE TABLE response_urls (
        user_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        url TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, channel_id)
      );
      CREATE INDEX response_urls_expiry ON response_urls (expires_at);
    `,
  },
  {
    version: 2,
    description: 'connect links carry the user as the page names them, and their language (both null on links made before)',
    sqlite: LINK_PERSON_COLUMNS,
    postgres: LINK_PERSON_COLUMNS,
  },
];

/** The newest schema this version knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The migrations a database at `current` still needs; refuses a database a newer version of the service migrated. */
export function pendingMigrations(current: number): readonly Migration[] {
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `The database's schema is at version ${current}, newer than this version of the service knows (${SCHEMA_VERSION}): run the newer version, or restore a backup`,
    );
  }
  return MIGRATIONS.filter((migration) => migration.version > current);
}

/** Created before anything else, in the same transaction: one row per migration applied. */
export const SCHEMA_VERSION_TABLE = {
  sqlite: 'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  postgres: 'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
};
