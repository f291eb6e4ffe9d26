/**
 * The app's own code in a connect flow, without any runtime: the same four steps (the command, the
 * page, its button, the callback) on the app layer over plain Node ports (memory stores behind the
 * same sealing decorators, a provider that answers at once). What the runtime adds to a flow (its
 * round trips, its HTTP bridge, its dispatch of each request) is all that is left out; the flow on
 * the runtime is measured by flow.ts.
 */
import { performance } from 'node:perf_hooks';
import { completeConnect } from '../src/app/callback-flow';
import type { AppConfig } from '../src/app/config';
import { confirmConnect, showConnectPage } from '../src/app/connect-flow';
import { appRequest, processShared, type PlatformPorts } from '../src/app/context';
import { runOAuthCommand } from '../src/app/commands/router';
import { translator } from '../src/app/i18n';
import type { Reply } from '../src/app/reply';
import { STRICT_ENDPOINT_POLICY } from '../src/core/endpoint-policy';
import { parseProviderDefinition } from '../src/core/provider';
import { silentLogger } from '../src/core/redact';
import { SealedLinkedStateStore, SealedTokenStore } from '../src/core/sealed-stores';
import { newSealingKey, parseKeyRing } from '../src/core/sealing';
import { MemoryConnectLinks, MemoryStateStore, MemoryTokenStore } from '../src/node/memory-stores';
import { json, RecordingTransport } from '../test/support/recording-transport';

export interface AppCodeFigures {
  /** Milliseconds of one whole flow, each. */
  flows: number[];
  problems: string[];
}

export async function measureAppCode(options: { warmup: number; runs: number }): Promise<AppCodeFigures> {
  const transport = new RecordingTransport();
  const ring = parseKeyRing(newSealingKey());
  const sealing = { ring, logger: silentLogger };
  /** What follows the callback's page (the account name, the notice): no request's time, waited for between flows as flow.ts does. */
  const afterPage: Array<Promise<void>> = [];
  const ports: PlatformPorts = {
    afterAnswer: (work) => void afterPage.push(work()),
    transport,
    tokens: new SealedTokenStore(new MemoryTokenStore(), sealing),
    states: new SealedLinkedStateStore(new MemoryStateStore(), sealing),
    links: new MemoryConnectLinks(),
    logger: silentLogger,
    people: { find: async () => ({ displayName: 'Alice (@alice)', language: 'en' }), defaultLanguage: async () => 'en' },
    notifier: { tell: async () => undefined, directRoom: async () => 'dm', post: async () => undefined },
  };
  const definition = parseProviderDefinition({
    id: 'demo',
    displayName: 'Demo',
    endpoints: { authorization: 'https://id.example.com/authorize', token: 'https://id.example.com/token', userinfo: 'https://id.example.com/me' },
    scopes: { default: ['openid', 'profile'] },
  });
  const redirectUri = 'https://chat.example.com/api/apps/public/app/complete';
  const config: AppConfig = {
    providers: [{ slot: 1, definition, client: { clientId: 'c', clientSecret: 's', redirectUri } }],
    problems: [],
    connectUrl: 'https://chat.example.com/api/apps/public/app/connect',
    redirectUri,
    endpointPolicy: STRICT_ENDPOINT_POLICY,
  };
  const shared = processShared();
  const app = () => appRequest(config, ports, shared);
  const figures: AppCodeFigures = { flows: [], problems: [] };

  const flow = async (): Promise<void> => {
    const replies: Reply[] = [];
    const { connector: _connector, ...rest } = app();
    const user = { id: 'u-alice', displayName: 'Alice (@alice)', language: 'en', isAdmin: false };
    await runOAuthCommand({ ...rest, user, roomId: 'r', t: translator('en'), reply: async (reply) => void replies.push(reply) }, ['connect', 'demo']);
    const link = new URL(replies[0]?.buttons?.[0]?.url ?? 'https://x/').searchParams.get('link') ?? '';
    const page = await showConnectPage(app(), { query: { link }, headers: {} });
    const cookie = (page.headers['set-cookie'] ?? '').split(';')[0];
    const confirm = /name="confirm" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const start = await confirmConnect(app(), { query: { link }, headers: { cookie }, content: `confirm=${confirm}` });
    const state = new URL(start.headers.location ?? 'https://x/').searchParams.get('state') ?? '';
    transport.answer(
      json({ access_token: 'a'.repeat(43), token_type: 'Bearer', expires_in: 3600, refresh_token: 'r'.repeat(43), scope: 'openid profile' }),
      json({ sub: 'alice', preferred_username: 'alice' }),
    );
    const done = await completeConnect(app(), { query: { code: 'c'.repeat(43), state }, headers: { cookie } });
    if (done.status !== 200) throw new Error(`the callback answered ${done.status}`);
  };

  for (let i = 0; i < options.warmup + options.runs; i++) {
    const start = performance.now();
    try {
      await flow();
    } catch (error) {
      figures.problems.push(`app code flow ${i + 1}: ${error instanceof Error ? error.message : String(error)}`);
      await Promise.allSettled(afterPage.splice(0));
      continue;
    }
    const elapsed = performance.now() - start;
    await Promise.all(afterPage.splice(0));
    if (i >= options.warmup) figures.flows.push(elapsed);
  }
  return figures;
}
