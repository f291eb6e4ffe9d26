/**
 * A schema of its own for one test in the test database (OAUTH_TEST_POSTGRES_URL, which
 * start-test-postgres.sh prints): the URL it returns sets `search_path` to that schema for every
 * connection opened with it, so the service's tables are made there, and tests that run at once (or
 * another run on the same database) never meet each other's rows. `drop` removes it and all it holds.
 *
 * Only the advisory locks are shared with other schemas (they are per database): the migration lock
 * makes parallel tests' migrations queue, which is what it is for.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface ScratchSchema {
  name: string;
  /** The base URL with `options=-c search_path=<name>` (libpq's `options` connection parameter, which pg passes on). */
  url: string;
  /** Runs one statement on a connection of its own in the schema: for tests that look at or damage rows. */
  query<Row>(sql: string, values?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

export async function createScratchSchema(baseUrl: string, prefix = 'oauth_test'): Promise<ScratchSchema> {
  // Letters, digits and underscores only: safe to write into DDL, which takes no parameters.
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Not a plain schema name: ${name}`);
  await withClient(baseUrl, (client) => client.query(`CREATE SCHEMA "${name}"`));
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    query: (sql, values) => withClient(url.toString(), async (client) => (await client.query(sql, values)).rows),
    drop: () => withClient(baseUrl, (client) => client.query(`DROP SCHEMA "${name}" CASCADE`)).then(() => undefined),
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
