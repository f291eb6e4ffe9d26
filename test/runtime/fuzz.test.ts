/**
 * Property-based fuzzing on the real runtime (the packaged app on Apps-Engine 1.62.0, Deno), with
 * GitHub (test/emulators/github.ts) in provider slot 1:
 *  1. generated HTTP requests to the public `connect` and `complete` endpoints, over real HTTP (every
 *     method, malformed and repeated parameters, huge values, unicode and broken percent-encoding,
 *     random cookies, bodies and content types), mixed with real link ids, states, codes and browser
 *     cookies from flows this file starts itself: every answer is < 500, the app logs no error, and
 *     no record appears but those this file's own valid steps made;
 *  2. generated `/oauth` argument lists: the command never throws, the user gets exactly one
 *     ephemeral reply, the app logs no error, and no record but a Connect link is created.
 * Seeds are fixed and printed (FUZZ_SEED overrides both); a failure names the request it saw.
 */
import { watchNotice } from '../support/eventually';
import fc from 'fast-check';
import { Agent, request as httpRequest } from 'node:http';
import { AppsEngineHarness, type LogRecord, type StoredRecord } from '../../tools/harness';
import { startGitHubEmulator } from '../emulators/github';
import type { ProviderEmulator } from '../emulators/kit';
import { AppBrowser } from '../support/app-browser';
import { APP_ID, packagedZip } from '../support/app-package';
import { authorizeAs } from '../support/user-agent';

const HTTP_SEED = Number(process.env.FUZZ_SEED ?? 902_114);
const COMMAND_SEED = Number(process.env.FUZZ_SEED ?? 551_207);
const CONCURRENCY = 16;
const HTTP_RUNS = 640; // batches of CONCURRENCY requests: 10,240 requests
const COMMAND_RUNS = 2_000;
/** A fresh flow (link, state, real code) for a state user every this many batches. */
const FLOW_EVERY = 8;

const user = (id: string, roles = ['user']) => ({ id: `u-fz-${id}`, username: `fz.${id}`, name: `Fuzz ${id.toUpperCase()}`, roles });
const USERS = {
  a: user('a'), // holds a claimed and an unclaimed link
  b: user('b'), // holds an unclaimed link
  s1: user('s1'), // starts flows whose states and codes are mixed in
  s2: user('s2'),
  c1: user('c1'), // command fuzzing: connected
  c2: user('c2'), // command fuzzing: never connected
  c3: user('c3'),
  admin: user('admin', ['admin', 'user']), // command fuzzing: sees help's admin section
};
type Who = keyof typeof USERS;
const roomOf = (who: Who) => ({ id: `r-fz-${who}`, name: `fz-${who}-room`, members: [USERS[who].id] });
const CLIENT = { clientId: 'client-fuzz', clientSecret: 'secret-fuzz-value' };

let harness: AppsEngineHarness;
/** Links no valid step presses: a's second and b's. */
const stableLinks: string[] = [];
let github: ProviderEmulator;
let completeUrl: string;
const appErrorLines: string[] = [];

// ---------------------------------------------------------------------------------------------
// Valid steps (the only ones allowed to leave records behind)

interface Flow {
  link: string;
  state: string;
  code: string;
  secret: string;
}

/** What this file's own valid steps made, and the values the generated requests may borrow. */
const mine = {
  links: [] as string[],
  /** link id → the browser secret that claimed it (pressed Continue). */
  linkOwner: new Map<string, string>(),
  flows: [] as Flow[],
  states: new Set<string>(),
  secrets: [] as string[],
};

function linkIdOf(url: string): string {
  return new URL(url).searchParams.get('link')!;
}

/** Every Connect link a message offered, with the user it went to. */
function announcedLinks(): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const message of harness.messages()) {
    for (const match of JSON.stringify(message.blocks ?? []).matchAll(/[?&]link=([A-Za-z0-9_-]{43})/g)) found.set(match[1], message.toUserId);
  }
  return found;
}

async function connectLink(who: Who): Promise<string> {
  const before = harness.messages().length;
  await harness.runCommand({ command: 'oauth', args: ['connect'], userId: USERS[who].id, roomId: roomOf(who).id });
  const reply = harness
    .messages()
    .slice(before)
    .find((m) => m.toUserId === USERS[who].id);
  const url = /"url":"([^"]+\?link=[^"]+)"/.exec(JSON.stringify(reply?.blocks ?? []))?.[1];
  if (!url) throw new Error(`/oauth connect gave ${who} no Connect link`);
  mine.links.push(linkIdOf(url));
  return url;
}

function secretOf(browser: AppBrowser, url: string): string {
  const secret = /oauth_browser=([A-Za-z0-9_-]{43})/.exec(browser.jar.header(new URL(url)) ?? '')?.[1];
  if (!secret) throw new Error('the connect page set no browser cookie');
  return secret;
}

/** /oauth connect, press Continue, approve at GitHub: a live state with its real code, not yet used. */
async function startFlow(who: Who): Promise<Flow> {
  const url = await connectLink(who);
  const browser = new AppBrowser();
  const providerUrl = await browser.startConnect(url);
  const secret = secretOf(browser, url);
  const callback = await authorizeAs(providerUrl, { account: 'alice', redirectUriPrefix: completeUrl, resolve: (u) => github.server.resolve(u) });
  const flow = { link: linkIdOf(url), state: callback.searchParams.get('state')!, code: callback.searchParams.get('code')!, secret };
  if (!flow.state || !flow.code) throw new Error(`GitHub came back without a code: ${callback.search.replace(/code=[^&]+/, 'code=…')}`);
  mine.linkOwner.set(flow.link, secret);
  mine.states.add(flow.state);
  mine.secrets.push(secret);
  mine.flows.push(flow);
  return flow;
}

// ---------------------------------------------------------------------------------------------
// Record checks

const miscIds = (record: StoredRecord) => record.associations.filter((a) => a.model === 'misc').map((a) => a.id);
const envelope = (record: StoredRecord) => record.data as { key?: string; record?: { userId?: string } };
const isKind = (record: StoredRecord, kind: string) => miscIds(record).includes(kind);
const isSweepCursor = (record: StoredRecord) => miscIds(record).some((id) => id.endsWith('#sweep'));

function describeRecord(record: StoredRecord): string {
  return JSON.stringify({ associations: record.associations.map((a) => `${a.model}:${a.id}`), data: JSON.stringify(record.data).slice(0, 300) });
}

/**
 * Records that appeared or changed since `baseline` and are not allowed: a new Connect link must
 * have been offered to its user in a message (by /oauth connect, or a "connect again" button), a new
 * pending state must be one this file started, at most one pending state per link; nothing else.
 */
function unexpectedRecords(baseline: Map<string, string>): string[] {
  const problems: string[] = [];
  const announced = announcedLinks();
  const statesPerLink = new Map<string, number>();
  for (const record of harness.stored()) {
    if (isKind(record, 'oauth-state')) {
      for (const group of miscIds(record).filter((id) => id.startsWith('oauth-state@link:'))) statesPerLink.set(group, (statesPerLink.get(group) ?? 0) + 1);
    }
    const before = baseline.get(record.id);
    if (before === JSON.stringify(record.data) || isSweepCursor(record)) continue;
    const { key, record: inner } = envelope(record);
    if (before === undefined && isKind(record, 'oauth-link') && key && announced.has(key) && announced.get(key) === inner?.userId) continue;
    if (before === undefined && isKind(record, 'oauth-state') && key && mine.states.has(key)) continue;
    problems.push(`${before === undefined ? 'new' : 'changed'} record ${describeRecord(record)}`);
  }
  for (const [group, count] of statesPerLink) if (count > 1) problems.push(`${count} pending states for ${group}`);
  return problems;
}

/** fast-check's failure, short: the seed and path that reproduce it and what went wrong (not the whole generated batch). */
function compactReport<Ts>(name: string): (details: fc.RunDetails<Ts>) => void {
  return (details) => {
    if (!details.failed) return;
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${name}: property failed after ${details.numRuns} runs (seed ${details.seed}, path "${details.counterexamplePath}")\n${cause}`);
  };
}

const snapshot = () => new Map(harness.stored().map((record) => [record.id, JSON.stringify(record.data)]));

// ---------------------------------------------------------------------------------------------
// Generated HTTP requests

/** A value, resolved when the request is sent (the pools of real values change as flows start). */
type Value =
  | { k: 'text'; s: string }
  | { k: 'huge'; unit: string; n: number }
  | { k: 'link'; i: number }
  | { k: 'state'; i: number }
  | { k: 'code'; i: number }
  | { k: 'secret'; i: number }
  /** The cookie of the browser that started flow i (the same i as a state's: its own browser). */
  | { k: 'flowSecret'; i: number }
  | { k: 'token'; s: string };
type Encoding = 'pct' | 'raw' | 'bytes' | 'mangled';
interface Param {
  name: Value;
  value: Value | null; // null: the name alone, no '='
  encoding: Encoding;
}
type CookiePart = { k: 'browser'; v: Value } | { k: 'pair'; name: string; value: string } | { k: 'raw'; s: string };
type Body =
  | { k: 'none' }
  | { k: 'form'; params: Param[] }
  | { k: 'json'; value: unknown }
  | { k: 'jsonConfirm'; confirm: Value; extra: Record<string, unknown> }
  | { k: 'bytes'; b: Uint8Array }
  | { k: 'huge'; style: 'form' | 'json' | 'bytes'; n: number };
interface Spec {
  endpoint: 'connect' | 'complete';
  pathVariant: '' | '/' | '//' | 'upper';
  method: string;
  params: Param[];
  separator: '&' | ';' | '&&';
  cookies: CookiePart[] | null;
  cookieJoin: '; ' | ';' | ', ';
  contentType: string | null;
  headers: Array<[string, string]>;
  body: Body;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const tokenArb = fc.string({ unit: fc.constantFrom(...B64URL), minLength: 43, maxLength: 43 });
const headerCharArb = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c));
const headerTextArb = fc.string({ unit: headerCharArb, maxLength: 60 });
const NASTY = [
  '',
  ' ',
  '%',
  '%%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '%C0%AF',
  '%FF%FE',
  '%u0041',
  '+',
  '&',
  '=',
  '==',
  '?',
  '#',
  '\u0000',
  '\r\n',
  '\u202e',
  '\ud83d\ude00',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  'null',
  'undefined',
  '[object Object]',
  '__proto__',
  '{"a":1}',
  'a'.repeat(513),
  'x'.repeat(4097),
];
const textArb = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
);
const nameArb: fc.Arbitrary<Value> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('link', 'state', 'code', 'iss', 'error', 'error_description', 'confirm').map((s) => ({ k: 'text' as const, s })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('link[]', 'state[0]', 'LINK', 'constructor', 'toString', 'hasOwnProperty', '__proto__', 'error_uri')
      .map((s) => ({ k: 'text' as const, s })),
  },
  { weight: 2, arbitrary: textArb.map((s) => ({ k: 'text' as const, s })) },
);
const valueArb: fc.Arbitrary<Value> = fc.oneof(
  { weight: 30, arbitrary: textArb.map((s) => ({ k: 'text' as const, s })) },
  {
    weight: 10,
    arbitrary: fc
      .constantFrom('https://github.com', 'https://github.com/', 'access_denied', 'temporarily_unavailable', 'invalid_request', 'server_error')
      .map((s) => ({ k: 'text' as const, s })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('huge' as const),
      unit: fc.constantFrom('a', 'é', '%', '😀', '&', 'A-_'),
      n: fc.integer({ min: 1_000, max: 14_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('huge' as const), unit: fc.constantFrom('a', 'Z'), n: fc.integer({ min: 20_000, max: 60_000 }) }) },
  { weight: 15, arbitrary: fc.record({ k: fc.constant('link' as const), i: fc.nat() }) },
  { weight: 15, arbitrary: fc.record({ k: fc.constant('state' as const), i: fc.nat() }) },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('code' as const), i: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('secret' as const), i: fc.nat() }) },
  { weight: 10, arbitrary: tokenArb.map((s) => ({ k: 'token' as const, s })) },
);
const paramArb: fc.Arbitrary<Param> = fc.record({
  name: nameArb,
  value: fc.option(valueArb, { freq: 12, nil: null }),
  encoding: fc.constantFrom<Encoding>('pct', 'pct', 'raw', 'bytes', 'mangled'),
});
const cookiePartArb: fc.Arbitrary<CookiePart> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ k: fc.constant('browser' as const), v: fc.oneof(valueArb, fc.record({ k: fc.constant('secret' as const), i: fc.nat() })) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('pair' as const),
      name: fc.constantFrom('oauth_browser', 'OAUTH_BROWSER', ' oauth_browser', 'rc_uid', 'rc_token', 'x'),
      value: headerTextArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('raw' as const), s: headerTextArb }) },
);
const jsonBodyArb: fc.Arbitrary<Body> = fc.oneof(
  fc.record({ k: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({
    k: fc.constant('jsonConfirm' as const),
    confirm: fc.oneof(valueArb, fc.record({ k: fc.constant('secret' as const), i: fc.nat() })),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  }),
);
const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ k: 'none' as const }) },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('form' as const),
      params: fc.array(
        fc.oneof(
          paramArb,
          fc.record({
            name: fc.constant<Value>({ k: 'text', s: 'confirm' }),
            value: fc.oneof(valueArb, fc.record({ k: fc.constant('secret' as const), i: fc.nat() })),
            encoding: fc.constant<Encoding>('pct'),
          }),
        ),
        { maxLength: 4 },
      ),
    }),
  },
  { weight: 3, arbitrary: jsonBodyArb },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('bytes' as const), b: fc.uint8Array({ maxLength: 200 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('huge' as const),
      style: fc.constantFrom<'form' | 'json' | 'bytes'>('form', 'json', 'bytes'),
      n: fc.integer({ min: 10_000, max: 80_000 }),
    }),
  },
);
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/json',
  'application/json; charset=latin1',
  'application/vnd.api+json',
  'text/plain',
  'text/html',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  '*/*',
  ';',
  '',
];
const HEADER_NAMES = [
  'accept-language',
  'origin',
  'referer',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'accept',
  'user-agent',
  'authorization',
  'sec-fetch-site',
  'x-requested-with',
];

const randomSpecArb: fc.Arbitrary<Spec> = fc.record({
  endpoint: fc.constantFrom<'connect' | 'complete'>('connect', 'complete'),
  pathVariant: fc.constantFrom<Spec['pathVariant']>('', '', '', '', '', '', '', '', '', '/', '//', 'upper'),
  method: fc.oneof(
    { weight: 6, arbitrary: fc.constant('GET') },
    { weight: 5, arbitrary: fc.constant('POST') },
    { weight: 2, arbitrary: fc.constantFrom('HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
  ),
  params: fc.oneof(
    { weight: 5, arbitrary: fc.array(paramArb, { maxLength: 6 }) },
    { weight: 1, arbitrary: fc.array(paramArb, { minLength: 7, maxLength: 40 }) },
  ),
  separator: fc.constantFrom<Spec['separator']>('&', '&', '&', '&', ';', '&&'),
  cookies: fc.option(fc.array(cookiePartArb, { minLength: 1, maxLength: 4 }), { freq: 3, nil: null }),
  cookieJoin: fc.constantFrom<Spec['cookieJoin']>('; ', '; ', ';', ', '),
  contentType: fc.option(fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerTextArb), { nil: null }),
  headers: fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), headerTextArb), { maxLength: 3 }),
  body: bodyArb,
});

/**
 * Well-formed but wrong: a real link, state or code where the endpoint looks for it, with a missing,
 * foreign, random or the right cookie, a confirmation that does not match, a few extra parameters.
 */
const realOr = (real: fc.Arbitrary<Value>) =>
  fc.oneof({ weight: 6, arbitrary: real }, { weight: 1, arbitrary: tokenArb.map((s) => ({ k: 'token' as const, s })) }, { weight: 1, arbitrary: valueArb });
const cleanParam = (name: string, value: fc.Arbitrary<Value>): fc.Arbitrary<Param> =>
  fc.record({ name: fc.constant<Value>({ k: 'text', s: name }), value, encoding: fc.constantFrom<Encoding>('pct', 'pct', 'pct', 'raw', 'mangled') });
const browserCookieArb = (own: fc.Arbitrary<Value>) =>
  fc.option(
    fc
      .tuple(
        fc.oneof(
          { weight: 3, arbitrary: own },
          { weight: 2, arbitrary: fc.record({ k: fc.constant('secret' as const), i: fc.nat() }) },
          { weight: 2, arbitrary: tokenArb.map((s) => ({ k: 'token' as const, s })) },
          { weight: 1, arbitrary: valueArb },
        ),
        fc.array(cookiePartArb, { maxLength: 2 }),
      )
      .map(([v, others]): CookiePart[] => [{ k: 'browser', v }, ...others]),
    { freq: 4, nil: null },
  );
const shapedConnectArb: fc.Arbitrary<Spec> = fc.nat().chain((i) =>
  fc.record({
    endpoint: fc.constant('connect' as const),
    pathVariant: fc.constant('' as const),
    method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'POST', 'HEAD', 'OPTIONS', 'PUT'),
    params: fc
      .tuple(cleanParam('link', realOr(fc.constant<Value>({ k: 'link', i }))), fc.array(paramArb, { maxLength: 2 }))
      .map(([link, extra]) => [link, ...extra]),
    separator: fc.constant('&' as const),
    cookies: browserCookieArb(fc.constant<Value>({ k: 'flowSecret', i })),
    cookieJoin: fc.constant('; ' as const),
    contentType: fc.option(fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain'), { freq: 6, nil: null }),
    headers: fc.constant([] as Array<[string, string]>),
    body: fc.oneof(
      fc.record({
        k: fc.constant('form' as const),
        params: fc
          .tuple(cleanParam('confirm', realOr(fc.constant<Value>({ k: 'flowSecret', i }))), fc.array(paramArb, { maxLength: 2 }))
          .map(([c, extra]) => [c, ...extra]),
      }),
      fc.record({ k: fc.constant('jsonConfirm' as const), confirm: realOr(fc.constant<Value>({ k: 'flowSecret', i })), extra: fc.constant({}) }),
      bodyArb,
    ),
  }),
);
const shapedCompleteArb: fc.Arbitrary<Spec> = fc.tuple(fc.nat(), fc.nat()).chain(([i, other]) =>
  fc.record({
    endpoint: fc.constant('complete' as const),
    pathVariant: fc.constant('' as const),
    method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'OPTIONS'),
    params: fc
      .tuple(
        cleanParam('state', realOr(fc.constant<Value>({ k: 'state', i }))),
        fc.option<Param, null>(cleanParam('code', fc.oneof(fc.constant<Value>({ k: 'code', i }), fc.constant<Value>({ k: 'code', i: other }), valueArb))),
        fc.option<Param, null>(
          cleanParam(
            'iss',
            fc.constantFrom<Value>({ k: 'text', s: 'https://github.com' }, { k: 'text', s: 'https://github.com/' }, { k: 'text', s: 'https://evil.example' }),
          ),
        ),
        fc.option<Param, null>(
          cleanParam(
            'error',
            fc.constantFrom<Value>(
              { k: 'text', s: 'access_denied' },
              { k: 'text', s: 'temporarily_unavailable' },
              { k: 'text', s: 'server_error' },
              { k: 'text', s: '' },
            ),
          ),
        ),
        fc.option<Param, null>(cleanParam('error_description', valueArb)),
        fc.array(paramArb, { maxLength: 2 }),
      )
      .chain(([state, code, iss, error, description, extra]) =>
        fc
          .shuffledSubarray([state, ...[code, iss, error, description].filter((p): p is Param => p !== null), ...extra], { minLength: 1 })
          .map((ps) => (ps.includes(state) ? ps : [state, ...ps])),
      ),
    separator: fc.constant('&' as const),
    cookies: browserCookieArb(fc.constant<Value>({ k: 'flowSecret', i })),
    cookieJoin: fc.constant('; ' as const),
    contentType: fc.constant(null),
    headers: fc.constant([] as Array<[string, string]>),
    body: fc.constant({ k: 'none' as const }),
  }),
);
const specArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 3, arbitrary: randomSpecArb },
  { weight: 1, arbitrary: shapedConnectArb },
  { weight: 1, arbitrary: shapedCompleteArb },
);

// Resolution and encoding

function pick<T>(pool: T[], i: number): T | undefined {
  return pool.length ? pool[i % pool.length] : undefined;
}

/** Mostly one of the last few flows (their states may still be live), sometimes any. */
function recentFlow(i: number): Flow | undefined {
  const { flows } = mine;
  if (!flows.length) return undefined;
  return i % 4 === 3 ? flows[i % flows.length] : flows[Math.max(0, flows.length - 1 - (i % 3))];
}

/** Half the time one of the links nobody presses (a's second, b's), else a recent flow's (claimed). */
function someLink(i: number): string | undefined {
  return i % 2 === 0 ? pick(stableLinks, i >> 1) : recentFlow(i >> 1)?.link;
}

function resolve(value: Value): string {
  switch (value.k) {
    case 'text':
    case 'token':
      return value.s;
    case 'huge':
      return value.unit.repeat(Math.ceil(value.n / value.unit.length)).slice(0, value.n);
    case 'link':
      return someLink(value.i) ?? '';
    case 'state':
      return recentFlow(value.i)?.state ?? '';
    case 'code':
      return recentFlow(value.i)?.code ?? '';
    case 'secret':
      return pick(mine.secrets, value.i) ?? '';
    case 'flowSecret':
      return recentFlow(value.i)?.secret ?? '';
  }
}

const HEX = Array.from({ length: 256 }, (_, b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`);
const CHAR = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b));
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
/** Per byte: percent-encoded, or raw where the request line allows it (no control characters, no space). */
const TABLES: Record<'pct' | 'raw' | 'bytes', string[]> = {
  pct: CHAR.map((c, b) => (UNRESERVED.test(c) ? c : HEX[b])),
  raw: CHAR.map((c, b) => (b <= 0x20 || b >= 0x7f ? HEX[b] : c)),
  bytes: CHAR.map((c, b) => (b <= 0x20 || b === 0x7f ? HEX[b] : c)),
};
const MANGLES = ['%', '%G', '%e', '%%41', '%C3', '%ED%A0%80'];

/** A string as bytes in a request target: each byte percent-encoded, or raw (UTF-8 bytes as such for `bytes`), or with a broken escape inserted. */
function encode(text: string, encoding: Encoding, salt: number): string {
  let out: string;
  if (UNRESERVED.test(text)) out = text;
  else {
    const table = TABLES[encoding === 'mangled' ? 'bytes' : encoding];
    const bytes = Buffer.from(text, 'utf8');
    const parts = new Array<string>(bytes.length);
    for (let i = 0; i < bytes.length; i += 1) parts[i] = table[bytes[i]];
    out = parts.join('');
  }
  if (encoding !== 'mangled') return out;
  const cut = salt % (out.length + 1);
  return `${out.slice(0, cut)}${MANGLES[salt % MANGLES.length]}${out.slice(cut)}`;
}

/** Header values must be latin1 without control characters (Node refuses others before sending). */
function headerSafe(text: string): string {
  return Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

interface Built {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function queryOf(params: Param[], separator: string): string {
  return params
    .map((p, i) => {
      const name = encode(resolve(p.name), p.encoding, i * 7 + 3);
      return p.value === null ? name : `${name}=${encode(resolve(p.value), p.encoding, i * 13 + 5)}`;
    })
    .join(separator);
}

function build(spec: Spec): Built {
  const base = `/api/apps/public/${APP_ID}/`;
  const endpoint = spec.pathVariant === 'upper' ? spec.endpoint.toUpperCase() : spec.endpoint;
  const path = spec.pathVariant === '//' ? `${base}/${endpoint}` : `${base}${endpoint}${spec.pathVariant === '/' ? '/' : ''}`;
  const query = queryOf(spec.params, spec.separator);
  const headers: Record<string, string> = {};
  for (const [name, value] of spec.headers) headers[name] = value;
  if (spec.cookies) {
    headers.cookie = spec.cookies
      .map((part) => (part.k === 'browser' ? `oauth_browser=${headerSafe(resolve(part.v))}` : part.k === 'pair' ? `${part.name}=${part.value}` : part.s))
      .join(spec.cookieJoin);
  }
  let body: Buffer | undefined;
  const b = spec.body;
  if (b.k === 'form') body = Buffer.from(queryOf(b.params, '&'), 'latin1');
  else if (b.k === 'json') body = Buffer.from(JSON.stringify(b.value) ?? 'null');
  else if (b.k === 'jsonConfirm') body = Buffer.from(JSON.stringify({ ...b.extra, confirm: resolve(b.confirm) }));
  else if (b.k === 'bytes') body = Buffer.from(b.b);
  else if (b.k === 'huge') {
    body =
      b.style === 'form'
        ? Buffer.from(`confirm=${'A'.repeat(b.n)}&link=${'b'.repeat(64)}`)
        : b.style === 'json'
          ? Buffer.from(JSON.stringify({ confirm: 'c'.repeat(b.n), nested: Array.from({ length: 50 }, (_, i) => ({ i })) }))
          : Buffer.alloc(b.n, 0xfe);
  }
  if (spec.contentType !== null) headers['content-type'] = spec.contentType;
  return { method: spec.method, path: query || spec.params.length ? `${path}?${query}` : path, headers, body };
}

/** The first well-formed flow cookie, as the app reads it (browser-cookie.ts). */
function cookieSecret(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === 'oauth_browser' && /^[A-Za-z0-9_-]{43}$/.test(part.slice(eq + 1).trim())) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const flip = (text: string) => `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`;

/**
 * Keeps every generated request invalid: a POST to `connect` naming a live link with the right
 * cookie and the same value in its body would be a real press of Continue (a new pending state), and
 * a callback with a flow's state, its real code and its browser's cookie a real connection. Those
 * are valid steps, not fuzz; the matching value is altered. Conservative: a substring match suffices.
 */
function keepInvalid(request: Built): Built {
  const secret = cookieSecret(request.headers.cookie);
  if (!secret) return request;
  const target = new URL(request.path, 'http://localhost');
  if (request.body && target.pathname.toLowerCase().includes('/connect')) {
    const links = target.searchParams.getAll('link');
    const owner = links.length === 1 ? mine.linkOwner.get(links[0]) : undefined;
    const live = links.length === 1 && mine.links.includes(links[0]);
    if (live && (!owner || owner === secret) && request.body.toString('latin1').includes(secret)) {
      return { ...request, body: Buffer.from(request.body.toString('latin1').split(secret).join(flip(secret)), 'latin1') };
    }
  }
  let path = request.path;
  for (const flow of mine.flows) {
    if (flow.secret === secret && path.includes(flow.state) && path.includes(flow.code)) path = path.split(flow.code).join(flip(flow.code));
  }
  return { ...request, path };
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/**
 * Sends the request as it is (node:http: no normalisation of the target); the status, or the network
 * error's code. Sockets are kept alive between requests, so a generated request whose framing the
 * server reads otherwise than the client (a body on a GET, conflicting length headers) can leave
 * bytes that break the NEXT request on that socket: a reset request is sent once more, alone on a
 * new connection, and only its own answer counts.
 */
async function send(request: Built): Promise<{ status?: number; error?: string }> {
  const answer = await sendOn(request, agent);
  return answer.error === 'ECONNRESET' ? sendOn(request, false) : answer;
}

function sendOn(request: Built, via: Agent | false): Promise<{ status?: number; error?: string }> {
  const { port } = new URL(harness.baseUrl);
  return new Promise((resolveAnswer) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: Number(port), method: request.method, path: request.path, headers: request.headers, agent: via },
      (res) => {
        res.resume();
        res.on('end', () => resolveAnswer({ status: res.statusCode }));
        res.on('error', (error: NodeJS.ErrnoException) => resolveAnswer({ status: res.statusCode, error: error.code ?? error.message }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolveAnswer({ error: error.code ?? error.message }));
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.end(request.body);
  });
}

/** Request line and headers over Node's limit (16 KiB): the HTTP server answers 431 (or cuts) before the app. */
const headerBytes = (request: Built) => request.path.length + Object.entries(request.headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0) + 20;

function show(request: Built): string {
  const cut = (text: string) => (text.length > 400 ? `${text.slice(0, 400)}…(${text.length} chars)` : text);
  return JSON.stringify({
    method: request.method,
    path: cut(request.path),
    headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, cut(v)])),
    body: request.body && cut(request.body.toString('latin1')),
  });
}

// ---------------------------------------------------------------------------------------------

describe('fuzzing the public endpoints and /oauth on the real runtime', () => {
  beforeAll(async () => {
    harness = await AppsEngineHarness.start({
      onAppLog: (record: LogRecord) => {
        for (const line of record.entries)
          if (line.source === 'app' && line.severity === 'error') appErrorLines.push(`${record.method ?? '?'}: ${JSON.stringify(line.args).slice(0, 500)}`);
      },
    });
    completeUrl = harness.publicUrl(APP_ID, 'complete');
    github = await startGitHubEmulator({ client: { ...CLIENT, redirectUri: completeUrl } });
    for (const { origin, target } of github.server.origins()) harness.routeOrigin(origin, target);
    for (const who of Object.keys(USERS) as Who[]) {
      harness.addUser(USERS[who]);
      harness.addRoom(roomOf(who));
    }
    await harness.installZip(packagedZip());
    const settings = {
      provider1_enabled: true,
      provider1_preset: 'github',
      provider1_client_id: CLIENT.clientId,
      provider1_client_secret: CLIENT.clientSecret,
    };
    for (const [id, value] of Object.entries(settings)) await harness.setSetting(APP_ID, id, value);
  }, 120_000);

  afterAll(async () => {
    agent.destroy();
    await harness?.stop();
    await github?.close();
  });

  it(`${HTTP_RUNS * CONCURRENCY} generated requests to connect and complete: all < 500, no app error, no record from invalid input`, async () => {
    // Live links: a's first is claimed by a browser (its flow's state and code are real), a's second
    // and b's are not; s1 and s2 start more flows as the fuzzing goes.
    await startFlow('a');
    stableLinks.push(linkIdOf(await connectLink('a')), linkIdOf(await connectLink('b')));
    await startFlow('s1');
    await startFlow('s2');
    const baseline = snapshot();
    const baselineAppErrors = appErrorLines.length;
    const histogram = new Map<string, number>();
    let sent = 0;
    let batches = 0;
    const started = Date.now();
    process.stdout.write(`fuzz.test.ts HTTP seed ${HTTP_SEED} (FUZZ_SEED=${HTTP_SEED} reproduces)\n`);
    const report = () => {
      const byStatus = [...histogram]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([status, count]) => `${status}: ${count}`)
        .join(', ');
      process.stdout.write(
        `fuzz.test.ts HTTP: ${sent} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, ${mine.flows.length} real flows; statuses ${byStatus}\n`,
      );
    };

    await fc
      .assert(
        fc.asyncProperty(fc.array(specArb, { minLength: CONCURRENCY, maxLength: CONCURRENCY }), async (specs) => {
          batches += 1;
          if (batches % FLOW_EVERY === 0) await startFlow(batches % (2 * FLOW_EVERY) === 0 ? 's1' : 's2');
          const requests = specs.map((spec) => keepInvalid(build(spec)));
          const errorsBefore = appErrorLines.length;
          const answers = await Promise.all(requests.map(send));
          sent += requests.length;
          answers.forEach((answer, i) => {
            const key = answer.status !== undefined ? String(answer.status) : `network ${answer.error}`;
            histogram.set(key, (histogram.get(key) ?? 0) + 1);
            if (answer.status !== undefined && answer.status >= 500) throw new Error(`answered ${answer.status}: ${show(requests[i])}`);
            // Only a request the HTTP server refuses for its size may lose its answer.
            if (answer.status === undefined && headerBytes(requests[i]) < 16_000) throw new Error(`no answer (${answer.error}): ${show(requests[i])}`);
          });
          if (appErrorLines.length > errorsBefore) {
            throw new Error(`app error logged:\n${appErrorLines.slice(errorsBefore).join('\n')}\nduring the batch:\n${requests.map(show).join('\n')}`);
          }
          const problems = unexpectedRecords(baseline);
          if (problems.length) throw new Error(`${problems.join('\n')}\nafter the batch:\n${requests.map(show).join('\n')}`);
        }),
        { numRuns: HTTP_RUNS, seed: HTTP_SEED, endOnFailure: true, reporter: compactReport<[Spec[]]>('HTTP fuzzing') },
      )
      .finally(report);

    expect(sent).toBeGreaterThanOrEqual(10_000);
    expect(harness.appErrors(APP_ID)).toEqual([]);
    expect(appErrorLines.length).toBe(baselineAppErrors);
    expect(unexpectedRecords(baseline)).toEqual([]);
    // The links no valid step pressed (and a's claimed one) are still there.
    const links = new Set(
      harness
        .stored()
        .filter((r) => isKind(r, 'oauth-link'))
        .map((r) => envelope(r).key),
    );
    for (const link of [mine.flows[0].link, ...stableLinks]) expect(links.has(link)).toBe(true);
    // A guard against a hang, not a timing: 10,240 requests take about a minute alone, several on a loaded machine.
  }, 300_000);

  it(`${COMMAND_RUNS} generated /oauth argument lists: never throws, one ephemeral reply, no app error, no record but Connect links`, async () => {
    // c1 is connected (again every 200 commands if a revoke undid it), c2, c3 and admin never.
    const connect = async () => {
      const url = await connectLink('c1');
      const browser = new AppBrowser();
      const callback = await authorizeAs(await browser.startConnect(url), {
        account: 'alice',
        redirectUriPrefix: completeUrl,
        resolve: (u) => github.server.resolve(u),
      });
      const notice = watchNotice(harness, USERS.c1.id);
      expect((await browser.fetch(callback)).status).toBe(200);
      await notice.arrived();
    };
    await connect();
    const connected = () =>
      harness.stored().some((r) => r.associations.some((a) => a.id === USERS.c1.id) && r.associations.some((a) => a.id === 'oauth-token:github'));
    expect(connected()).toBe(true);

    const SUBCOMMANDS = ['connect', 'token', 'refresh', 'revoke', 'status', 'whoami', 'help'];
    const hugeArb = fc
      .record({ unit: fc.constantFrom('a', 'é', '😀', '`', '*'), n: fc.integer({ min: 1_000, max: 40_000 }) })
      .map(({ unit, n }) => unit.repeat(n));
    const wordArb = fc.oneof(
      {
        weight: 12,
        arbitrary: fc.constantFrom(
          'github',
          'GitHub',
          'GITHUB',
          'github ',
          ' github',
          'gitlab',
          'google',
          '',
          ' ',
          '\n',
          '\t',
          '@all',
          '<!here>',
          '`',
          '*bold*',
          '[x](http://evil)',
          '{{provider}}',
          '__proto__',
          'constructor',
          'toString',
        ),
      },
      { weight: 9, arbitrary: fc.string({ maxLength: 30 }) },
      { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 15 }) },
      { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 15 }) },
      { weight: 1, arbitrary: hugeArb },
    );
    const subcommandArb = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...SUBCOMMANDS) },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom(...SUBCOMMANDS)
          .chain((s) => fc.constantFrom(s.toUpperCase(), `${s[0].toUpperCase()}${s.slice(1)}`, `${s} `, `${s}\u200b`, `${s}s`)),
      },
      { weight: 3, arbitrary: wordArb },
    );
    const argsArb = fc.oneof(
      { weight: 1, arbitrary: fc.constant([] as string[]) },
      { weight: 8, arbitrary: fc.tuple(subcommandArb, fc.array(wordArb, { maxLength: 3 })).map(([s, rest]) => [s, ...rest]) },
      { weight: 1, arbitrary: fc.tuple(subcommandArb, fc.array(wordArb, { minLength: 4, maxLength: 60 })).map(([s, rest]) => [s, ...rest]) },
    );
    // Each run: one command per user, at once (users apart, so replies and records are told apart).
    const COMMAND_USERS: Who[] = ['c1', 'c2', 'c3', 'admin'];
    let commands = 0;
    const started = Date.now();
    process.stdout.write(`fuzz.test.ts /oauth seed ${COMMAND_SEED} (FUZZ_SEED=${COMMAND_SEED} reproduces)\n`);
    await fc
      .assert(
        fc.asyncProperty(fc.array(argsArb, { minLength: COMMAND_USERS.length, maxLength: COMMAND_USERS.length }), async (argLists) => {
          if (commands % 200 < COMMAND_USERS.length && !connected()) await connect(); // some whoami/token/refresh meet a connection
          const described = argLists.map(
            (args, i) => `/oauth ${JSON.stringify(args.map((a) => (a.length > 200 ? `${a.slice(0, 200)}…(${a.length})` : a)))} as ${COMMAND_USERS[i]}`,
          );
          const before = snapshot();
          const errorsBefore = appErrorLines.length;
          harness.clearMessages();
          const outcomes = await Promise.all(
            argLists.map((args, i) =>
              harness.runCommand({ command: 'oauth', args, userId: USERS[COMMAND_USERS[i]].id, roomId: roomOf(COMMAND_USERS[i]).id }).then(
                () => undefined,
                (error: Error) => error.message,
              ),
            ),
          );
          commands += argLists.length;
          const problems: string[] = [];
          const sentMessages = harness.messages();
          const offered = announcedLinks();
          const created = harness.stored().filter((r) => !before.has(r.id) && !isSweepCursor(r));
          COMMAND_USERS.forEach((who, i) => {
            if (outcomes[i] !== undefined) problems.push(`${described[i]} threw: ${outcomes[i]}`);
            const replies = sentMessages.filter((m) => m.toUserId === USERS[who].id || (m.kind === 'room' && m.roomId === roomOf(who).id));
            if (replies.length !== 1 || replies[0].kind !== 'ephemeral')
              problems.push(`${described[i]}: ${replies.length} messages (${replies.map((m) => m.kind).join(', ')}), not one ephemeral reply`);
            const unexpected = created.filter(
              (r) => envelope(r).record?.userId === USERS[who].id && !(isKind(r, 'oauth-link') && offered.get(envelope(r).key ?? '') === USERS[who].id),
            );
            if (unexpected.length) problems.push(`${described[i]} created ${unexpected.map(describeRecord).join(', ')}`);
          });
          const unowned = created.filter((r) => !COMMAND_USERS.some((who) => envelope(r).record?.userId === USERS[who].id));
          if (unowned.length) problems.push(`created ${unowned.map(describeRecord).join(', ')}`);
          if (sentMessages.length !== COMMAND_USERS.length) problems.push(`${sentMessages.length} messages in all for ${COMMAND_USERS.length} commands`);
          if (appErrorLines.length > errorsBefore) problems.push(`app error logged:\n${appErrorLines.slice(errorsBefore).join('\n')}`);
          if (problems.length) throw new Error(`${problems.join('\n')}\n(the commands of this run: ${described.join('; ')})`);
        }),
        { numRuns: COMMAND_RUNS / COMMAND_USERS.length, seed: COMMAND_SEED, endOnFailure: true, reporter: compactReport<[string[][]]>('/oauth fuzzing') },
      )
      .finally(() => process.stdout.write(`fuzz.test.ts /oauth: ${commands} commands in ${((Date.now() - started) / 1000).toFixed(1)} s\n`));
    expect(commands).toBeGreaterThanOrEqual(COMMAND_RUNS);
    expect(harness.appErrors(APP_ID)).toEqual([]);
  }, 60_000);
});
