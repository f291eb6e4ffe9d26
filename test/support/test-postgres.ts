/**
 * The PostgreSQL server the storage tests use: OAUTH_TEST_POSTGRES_URL, which
 * tools/postgres/start-test-postgres.sh prints (and .ci/run sets).
 *
 * - Not set: the PostgreSQL tests are skipped with a warning that says why; under CI (CI=1) they fail
 *   instead, because CI never skips them.
 * - Set, but not one postgres:// URL: every PostgreSQL test fails with a message that says so. Without
 *   this check, a line of stray output captured in front of the URL made pg read it as a relative
 *   address and fail with "getaddrinfo ENOTFOUND base", which pointed nowhere near the cause.
 */
const VARIABLE = 'OAUTH_TEST_POSTGRES_URL';
const HOW = 'tools/postgres/start-test-postgres.sh starts a server and prints one; .ci/run sets it';

/** The URL, or undefined when the PostgreSQL tests are to be skipped (and a warning was printed). */
export function testPostgresUrl(what: string): string | undefined {
  const value = process.env[VARIABLE];
  if (!value) {
    if (process.env.CI) {
      describe(what, () => {
        it('runs under CI, which never skips it', () => {
          throw new Error(`${VARIABLE} is not set (${HOW}).`);
        });
      });
    } else {
      console.warn(`Skipped: ${what} (${VARIABLE} is not set: ${HOW}).`);
    }
    return undefined;
  }
  const problem = urlProblem(value);
  if (problem) {
    describe(what, () => {
      it(`needs ${VARIABLE} to be one postgres:// URL`, () => {
        throw new Error(`${VARIABLE} ${problem} (${HOW}).`);
      });
    });
    return undefined;
  }
  return value;
}

/** What is wrong with the value, never the value itself (it holds a password). */
function urlProblem(value: string): string | undefined {
  if (/\s/.test(value)) return 'holds more than one line or word: something printed more than the URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return `is a ${url.protocol}// URL, not a postgres:// one`;
  if (!url.hostname) return 'names no host';
  return undefined;
}
