/**
 * The app's own share of a whole connect flow. A flow is: `/oauth connect demo` (the Connect link),
 * the confirmation page (GET), its Continue button (POST, a redirect to the provider), the
 * provider's authorization, login and consent (the scripted browser at oidc-provider), and the
 * provider's redirect back to `complete` (GET), during which the app exchanges the code and reads
 * the account at the provider. Each step is timed from outside, as the user's browser and chat
 * client see it.
 *
 * What is taken out, per flow:
 *  - the browser's hops at the provider (timed at the browser: not the app's doing);
 *  - the provider's time inside the app's own requests (the app's calls to it pass a timing proxy,
 *    bench/timing-proxy.ts: token exchange, userinfo);
 *  - the engine's own cost of the four requests the app answers, timed right after each flow on
 *    the engine-baseline app: a command and three endpoint requests (GET, POST, GET) that do nothing.
 * What remains is the app's: its code, and its calls to the server through the runtime (counted:
 * each is a round trip between the app's process and the server's, two of them HTTP requests to the
 * provider through the engine's HTTP bridge).
 */
import { performance } from 'node:perf_hooks';

import { watchNotice } from '../test/support/eventually';
import { AppBrowser } from '../test/support/app-browser';
import { runOAuth } from '../test/support/packaged-app';
import { authorizeAs } from '../test/support/user-agent';
import { BENCH_APP_IDS } from './build-apps';
import { USER, WHERE, type BenchWorld } from './world';

export const FLOW_STEPS = ['command', 'page', 'button', 'callback'] as const;
export type FlowStep = (typeof FLOW_STEPS)[number];

/** One flow's times, in milliseconds. */
export interface FlowSample {
  /** The four requests the app answers, summed. */
  appRequests: number;
  /** The browser's hops at the provider. */
  browserAtProvider: number;
  /** The provider's time inside the app's requests (timing proxy). */
  providerInApp: number;
  /** The app's calls to the provider (through the engine's HTTP bridge, whose cost stays in the app's share). */
  providerCalls: number;
  /** The same four requests on the engine-baseline app. */
  engine: number;
  /** appRequests - providerInApp - engine. */
  appShare: number;
  /** The app's share by request (the provider's time is in the callback's). */
  stepShares: Record<FlowStep, number>;
  total: number;
  /** The app's calls to the server during the flow, each one runtime round trip. */
  roundTrips: number;
}

export interface FlowFigures {
  samples: FlowSample[];
  /** The engine-baseline requests alone, by kind. */
  engineCommand: number[];
  engineGet: number[];
  /** The engine's HTTP bridge, per call: a GET through it on the engine-baseline app, less a GET that makes none and the provider's time. */
  httpBridge: number[];
  problems: string[];
}

async function timed<T>(step: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await step();
  return { value, ms: performance.now() - start };
}

/** One connect flow, its steps timed; throws when a step does not do what a user expects of it. */
type TimedFlow = Omit<FlowSample, 'engine' | 'appShare' | 'stepShares'> & { steps: Record<FlowStep, number> };

async function oneFlow(world: BenchWorld): Promise<TimedFlow> {
  const { harness, demoProxy, completeUrl } = world;
  const browser = new AppBrowser();
  harness.resetRoundTrips();
  demoProxy.take();

  const command = await timed(() => runOAuth(harness, WHERE, 'connect', 'demo'));
  const link = command.value.buttons.find((button) => button.actionId === 'oauth-connect')?.url;
  if (!link) throw new Error(`/oauth connect demo answered without a Connect button: ${command.value.text.slice(0, 200)}`);
  const page = await timed(() => browser.open(link));
  if (page.value.status !== 200 || !page.value.form) throw new Error(`the Connect link answered ${page.value.status} without its form`);
  const pressed = await timed(async () => {
    const response = await browser.submit(page.value);
    await response.arrayBuffer();
    return response;
  });
  const atProvider = pressed.value.headers.get('location');
  if (pressed.value.status !== 303 || !atProvider) throw new Error(`Continue answered ${pressed.value.status}, not a redirect to the provider`);
  const provider = await timed(() => authorizeAs(atProvider, { account: USER.username, redirectUriPrefix: completeUrl }));
  const notice = watchNotice(harness, USER.id);
  const callback = await timed(async () => {
    const response = await browser.fetch(provider.value);
    return { status: response.status, html: await response.text() };
  });
  if (callback.value.status !== 200 || !callback.value.html.includes('Connected')) {
    throw new Error(`the provider's redirect back answered ${callback.value.status}: ${callback.value.html.slice(0, 200)}`);
  }
  // The provider's time and the calls on the four requests' paths; what follows the page (the
  // account name from the provider, then the notice) is no request's time, and is waited for so
  // that the next flow does not meet it.
  const proxied = demoProxy.take();
  // Counted up to the app's answer to the callback: the work that follows the page may
  // reach the server before the browser has read it.
  const roundTrips = harness.roundTripsBeforeAnswer(BENCH_APP_IDS.ours) ?? harness.roundTripsOf(BENCH_APP_IDS.ours).total;
  await notice.arrived();
  demoProxy.take();
  if (proxied.failures > 0) throw new Error(`${proxied.failures} of the app's ${proxied.requests} calls to the provider failed`);
  const appRequests = command.ms + page.ms + pressed.ms + callback.ms;
  return {
    appRequests,
    browserAtProvider: provider.ms,
    providerInApp: proxied.ms,
    providerCalls: proxied.requests,
    total: appRequests + provider.ms,
    roundTrips,
    steps: { command: command.ms, page: page.ms, button: pressed.ms, callback: callback.ms },
  };
}

/** The engine's cost of the same four requests, each answered by an app that does nothing. */
async function engineRequests(world: BenchWorld): Promise<Record<FlowStep, number> & { total: number; httpBridge: number }> {
  const { harness } = world;
  const browser = new AppBrowser();
  const noop = harness.publicUrl(BENCH_APP_IDS.baseline, 'noop');
  const command = await timed(() => harness.runCommand({ command: 'engine-noop', args: [], ...WHERE }));
  const get = async () => (await browser.fetch(noop)).text();
  const first = await timed(get);
  // A form body like the confirmation page's (its one field).
  const post = await timed(async () =>
    (await browser.fetch(noop, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `confirm=${'x'.repeat(43)}` })).text(),
  );
  const last = await timed(get);
  // One GET through the engine's HTTP bridge to the provider (via the timing proxy), less a GET
  // that makes none, less the provider's own time: what the bridge costs a call.
  world.demoProxy.take();
  const viaBridge = await timed(async () =>
    (
      await browser.fetch(
        `${harness.publicUrl(BENCH_APP_IDS.baseline, 'http-once')}?url=${encodeURIComponent(`${world.demo.issuer}/.well-known/openid-configuration`)}`,
      )
    ).text(),
  );
  const bridged = world.demoProxy.take();
  const plain = await timed(get);
  return {
    command: command.ms,
    page: first.ms,
    button: post.ms,
    callback: last.ms,
    total: command.ms + first.ms + post.ms + last.ms,
    httpBridge: viaBridge.ms - plain.ms - bridged.ms,
  };
}

export async function measureFlows(world: BenchWorld, options: { warmup: number; runs: number }): Promise<FlowFigures> {
  const figures: FlowFigures = { samples: [], engineCommand: [], engineGet: [], httpBridge: [], problems: [] };
  for (let i = 0; i < options.warmup + options.runs; i++) {
    let flow: TimedFlow;
    try {
      flow = await oneFlow(world);
    } catch (error) {
      figures.problems.push(`connect flow ${i + 1}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    } finally {
      world.harness.clearMessages();
    }
    const engine = await engineRequests(world);
    if (i < options.warmup) continue;
    const { steps, ...times } = flow;
    const stepShares = Object.fromEntries(FLOW_STEPS.map((step) => [step, steps[step] - engine[step]])) as Record<FlowStep, number>;
    stepShares.callback -= flow.providerInApp;
    figures.samples.push({ ...times, engine: engine.total, appShare: flow.appRequests - flow.providerInApp - engine.total, stepShares });
    figures.engineCommand.push(engine.command);
    figures.engineGet.push(engine.page, engine.callback);
    figures.httpBridge.push(engine.httpBridge);
  }
  return figures;
}
