/**
 * One refresh per expiry across instances of the Mattermost service: two instances behind one
 * address on one PostgreSQL database, Mattermost stood in for by tools/mattermost-standin (no
 * Mattermost server can run here), against oidc-provider with 2-second access tokens and rotating
 * refresh tokens, where a refresh token sent twice kills the grant (RFC 9700 §4.14.2).
 *
 * Several users, each with four `/oauth whoami` running at once; requests go to the instances in
 * turn, so every user's token is wanted on both. Within an instance the getter's single flight
 * shares a refresh; across them the lease row in PostgreSQL does. The test prints the token requests
 * per expiry (the aim is 1) and fails on any refused refresh, any refresh token sent twice, or any
 * answer other than the user's account. Without OAUTH_TEST_POSTGRES_URL it is skipped and says why;
 * under CI it fails instead.
 */
import { AppBrowser } from '../support/app-browser';
import { refreshGrantCounts, type TestAuthServer } from '../support/auth-servers';
import { DEMO_CLIENT, startDemoProvider } from '../support/demo-oidc';
import { authorizeAs } from '../support/user-agent';
import { startMattermostWorld, type MattermostWorld } from '../../tools/sandbox/mattermost-world';
import { createScratchSchema, type ScratchSchema } from '../../tools/postgres/scratch-schema';
import { testPostgresUrl } from '../support/test-postgres';

const EXPIRIES = 500;
const USER_COUNT = 8;
const GETTERS_PER_USER = 4;
const ACCOUNTS = ['alice', 'bob', 'carol'];
const POSTGRES_URL = testPostgresUrl('two Mattermost service instances on PostgreSQL');
const suite = POSTGRES_URL ? describe : describe.skip;

suite('two Mattermost service instances on one PostgreSQL, through a stand-in for a Mattermost server (which cannot run here)', () => {
  let schema: ScratchSchema;
  let world: MattermostWorld;
  let provider: TestAuthServer;
  const users: Array<{ id: string; channelId: string; account: string }> = [];

  beforeAll(async () => {
    schema = await createScratchSchema(POSTGRES_URL!, 'oauth_cluster');
    world = await startMattermostWorld({
      databaseUrl: schema.url,
      instances: 2,
      providers: async ([redirectUri]) => {
        provider = await startDemoProvider(redirectUri, { accessTokenTTL: 2, rotateRefreshToken: true });
        return [{ preset: 'oidc', id: 'demo', client_id: DEMO_CLIENT.clientId, client_secret: DEMO_CLIENT.clientSecret, site: provider.issuer }];
      },
    });
    for (let u = 0; u < USER_COUNT; u++) {
      const user = world.standIn.addUser({ username: `getter${u}x${Date.now() % 100000}`, teams: [world.team.id] });
      const channel = world.standIn.addChannel(world.team.id, { name: `getters-${u}`, members: [user.id] });
      const account = ACCOUNTS[u % ACCOUNTS.length];
      users.push({ id: user.id, channelId: channel.id, account });
      await connect(user.id, channel.id, account);
    }
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    await provider?.close();
    await schema?.drop();
  });

  async function oauth(userId: string, channelId: string, text: string): Promise<string> {
    const run = await world.standIn.runSlashCommand({ userId, channelId, text: `/oauth ${text}` });
    return run.error ? `error ${run.error.status_code}: ${run.error.message}` : run.ephemeral.map((post) => post.message).join('\n');
  }

  async function connect(userId: string, channelId: string, account: string): Promise<void> {
    const run = await world.standIn.runSlashCommand({ userId, channelId, text: '/oauth connect demo' });
    const post = run.ephemeral.find((p) => (p.props?.attachments as unknown[] | undefined)?.length);
    const action = (post!.props!.attachments as Array<{ actions: Array<{ id: string }> }>)[0].actions[0];
    const click = await world.standIn.clickButton({ userId, postId: post!.id, actionId: action.id });
    const link = /\((http[^)\s]+\/connect\?link=[^)\s]+)\)/.exec(click.ephemeral.map((p) => p.message).join('\n'))![1];
    const browser = new AppBrowser();
    const callback = await authorizeAs(await browser.startConnect(link), { account, redirectUriPrefix: `${world.publicBase}/complete` });
    expect((await browser.fetch(callback)).status).toBe(200);
  }

  it(`${USER_COUNT} users, ${GETTERS_PER_USER} concurrent getters each, requests alternating between the instances: at least ${EXPIRIES} expiries, one token request each, no grant killed`, async () => {
    await provider.resetTokenRequests();
    const started = Date.now();
    const wrong: string[] = [];
    let calls = 0;
    let done = false;
    const getter = async (user: (typeof users)[number]) => {
      while (!done) {
        const text = await oauth(user.id, user.channelId, 'whoami demo');
        calls += 1;
        if (!text.includes(`says you are *${user.account}*`)) {
          wrong.push(text.slice(0, 300));
          done = true;
        }
      }
    };
    const watch = (async () => {
      while (!done) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const counts = await refreshGrantCounts(provider);
        if (counts.succeeded >= EXPIRIES || counts.failed > 0 || counts.reused > 0 || Date.now() - started > 400_000) done = true;
      }
    })();
    await Promise.all([watch, ...users.flatMap((user) => Array.from({ length: GETTERS_PER_USER }, () => getter(user)))]);

    const counts = await refreshGrantCounts(provider);
    const perExpiry = counts.total / Math.max(1, counts.succeeded);
    console.log(
      [
        `Mattermost cluster refresh: ${((Date.now() - started) / 1000).toFixed(0)} s, ${calls} /oauth whoami through 2 instances on PostgreSQL`,
        `refresh grants: ${counts.total} sent, ${counts.succeeded} answered 200, ${counts.failed} refused, ${counts.reused} refresh tokens sent twice`,
        `token requests per expiry: ${perExpiry.toFixed(3)} (aim: 1)`,
      ].join('\n'),
    );
    expect(wrong).toEqual([]);
    expect(counts.succeeded).toBeGreaterThanOrEqual(EXPIRIES);
    expect(counts.failed).toBe(0);
    expect(counts.reused).toBe(0);
    expect(perExpiry).toBe(1);
  }, 600_000);
});
