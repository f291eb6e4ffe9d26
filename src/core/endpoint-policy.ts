/**
 * Where the app may send requests. Endpoints come from presets, admins' settings and discovery
 * documents; a wrong or planted one must not turn the app into a way to reach the server's own
 * network (SSRF): the loopback interface, private ranges, the cloud's metadata service.
 *
 * The rule: https only; plain http only on a loopback host, and only with the development switch
 * on. Hosts that are loopback, private, link-local, unique-local, shared (CGNAT), unspecified,
 * reserved or a cloud metadata service are refused unless the allow-list names them (a host name,
 * an IP literal or a CIDR range).
 *
 * URLs are parsed with the WHATWG parser (`new URL`), which turns every IPv4 spelling a browser
 * accepts (`2130706433`, `0x7f.1`, `0177.0.0.1`) into dotted decimal and compresses IPv6, so the
 * address checked is the address that would be dialled. IPv4-mapped, NAT64 and 6to4 IPv6
 * addresses are judged by the IPv4 address they carry.
 *
 * What this cannot see: a public-looking name whose DNS answer is private (`intranet.example.com`
 * → 10.0.0.5, or a rebinding name). The app has no DNS of its own (inside Rocket.Chat the engine's
 * HTTP accessor resolves and connects), so such names can only be stopped by the server's egress
 * rules (Apps-Engine's `IHttpRequest.ssrfValidation` would have Rocket.Chat resolve and check the
 * name, against its own SSRF_Allowlist; not used: it refuses every name when the server cannot
 * resolve DNS itself, as behind a proxy). Names that are private by construction (single-label
 * names, `.local`, `.internal`, `localhost`, the metadata services' names) are refused here.
 */
import { OAuthError } from './errors';
import type { ProviderDefinition } from './provider';

export interface EndpointPolicy {
  /**
   * Development only: loopback hosts (127.0.0.0/8, ::1, `localhost`) may be called, over plain
   * http too. Off in production.
   */
  allowHttpLoopback: boolean;
  /** Hosts the admin allows although they are private: names, IP literals, CIDR ranges (`10.0.0.0/8`, `fd00::/8`). */
  allowedHosts: readonly string[];
}

/** The default: https to public hosts only. */
export const STRICT_ENDPOINT_POLICY: EndpointPolicy = Object.freeze({ allowHttpLoopback: false, allowedHosts: Object.freeze([]) as readonly string[] });

/**
 * What would make a refused URL acceptable: another URL, the allow-list naming its host, or the
 * development switch (plain http on loopback).
 */
export type EndpointFix = 'url' | 'allowedHosts' | 'allowHttpLoopback';

/**
 * `reason` says what is wrong (`goes to 10.0.0.5, a private address (10.0.0.0/8)`); for the fixes
 * `allowedHosts` and `allowHttpLoopback` the caller adds how to allow it, naming its own setting.
 */
export type EndpointVerdict = { ok: true } | { ok: false; fix: EndpointFix; reason: string };

const OK: EndpointVerdict = { ok: true };

/** Checks a URL the app will send requests to. */
export function checkEndpoint(value: string, policy: EndpointPolicy): EndpointVerdict {
  const url = parseUrl(value);
  if (!url) return { ok: false, fix: 'url', reason: 'is not an absolute http(s) URL' };
  const host = classifyHost(url.hostname);
  const loopback = host.special?.loopback === true;
  if (url.protocol === 'http:') {
    if (!loopback)
      return { ok: false, fix: 'url', reason: `uses plain http: it must be https (plain http is allowed only on a loopback host, for development)` };
    if (!policy.allowHttpLoopback) return { ok: false, fix: 'allowHttpLoopback', reason: `uses plain http on the loopback host ${url.hostname}` };
    return OK;
  }
  if (!host.special) return OK;
  if (loopback && policy.allowHttpLoopback) return OK;
  if (isAllowed(host, policy.allowedHosts)) return OK;
  return { ok: false, fix: 'allowedHosts', reason: `goes to ${url.hostname}, ${host.special.what}` };
}

/**
 * Checks a page the app only links to (where users remove the app's access): the app never
 * requests it, so no host rule applies, only the scheme's (https; http on loopback for development).
 */
export function checkUserPage(value: string, policy: EndpointPolicy): EndpointVerdict {
  const url = parseUrl(value);
  if (!url) return { ok: false, fix: 'url', reason: 'is not an absolute http(s) URL' };
  if (url.protocol === 'https:') return OK;
  if (!classifyHost(url.hostname).special?.loopback) return { ok: false, fix: 'url', reason: 'uses plain http: it must be https' };
  if (!policy.allowHttpLoopback) return { ok: false, fix: 'allowHttpLoopback', reason: `uses plain http on the loopback host ${url.hostname}` };
  return OK;
}

/** A URL of a provider the policy refuses: its field in the definition, and why. */
export interface EndpointViolation {
  /** The definition's field, e.g. `endpoints.token`, `issuer`. */
  path: string;
  fix: EndpointFix;
  reason: string;
}

/**
 * The first URL of a provider the policy refuses: the issuer (discovery requests it), the
 * endpoints, the profile URL, and the page users are sent to to remove the app's access.
 */
export function findEndpointViolation(provider: ProviderDefinition, policy: EndpointPolicy): EndpointViolation | undefined {
  const urls: Array<[path: string, url: string | undefined, check: typeof checkEndpoint]> = [
    ['issuer', provider.issuer, checkEndpoint],
    ['endpoints.authorization', provider.endpoints.authorization, checkEndpoint],
    ['endpoints.token', provider.endpoints.token, checkEndpoint],
    ['endpoints.revocation', provider.endpoints.revocation, checkEndpoint],
    ['endpoints.userinfo', provider.endpoints.userinfo, checkEndpoint],
    ['profile.url', provider.profile?.url, checkEndpoint],
    ['appAccessPage', provider.appAccessPage, checkUserPage],
  ];
  for (const [path, url, check] of urls) {
    if (url === undefined) continue;
    const verdict = check(url, policy);
    if (!verdict.ok) return { path, fix: verdict.fix, reason: verdict.reason };
  }
  return undefined;
}

/**
 * Throws `invalid_configuration` for the first URL the policy refuses. The error's `field` is what
 * to change: the definition's field (`endpoints.token`), or the policy's `allowedHosts` or
 * `allowHttpLoopback` when the URL is right but the policy does not allow it yet.
 */
export function enforceEndpointPolicy(provider: ProviderDefinition, policy: EndpointPolicy, source: 'definition' | 'discovery' = 'definition'): void {
  const violation = findEndpointViolation(provider, policy);
  if (!violation) return;
  const from = source === 'discovery' ? ` (from the discovery document of ${provider.issuer})` : '';
  const remedy =
    violation.fix === 'allowedHosts'
      ? ': the app calls it only if the allowed hosts (allowedHosts) name it'
      : violation.fix === 'allowHttpLoopback'
        ? ': allowed only for development, with allowHttpLoopback on'
        : '';
  throw new OAuthError('invalid_configuration', `Provider "${provider.id}": ${violation.path}${from} ${violation.reason}${remedy}`, {
    providerId: provider.id,
    field: violation.fix === 'url' ? violation.path : violation.fix,
  });
}

/** Splits an allow-list as admins type it (commas, spaces, new lines), reporting entries that are neither a host, an IP literal nor a CIDR range. */
export function parseAllowedHosts(text: string): { allowedHosts: string[]; invalid: string[] } {
  const entries = text.split(/[\s,;]+/).filter(Boolean);
  return { allowedHosts: entries.filter((e) => compileEntry(e)), invalid: entries.filter((e) => !compileEntry(e)) };
}

function parseUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Hosts

interface Special {
  /** What the host is, for the message: "a private address (10.0.0.0/8)". */
  what: string;
  loopback?: boolean;
}

type Host = { kind: 'ip'; address: bigint; special?: Special } | { kind: 'name'; name: string; special?: Special };

/** `hostname` as `URL` gives it: lower case, IPv4 in dotted decimal, IPv6 in brackets. */
function classifyHost(hostname: string): Host {
  const address = ipAddress(hostname);
  if (address !== undefined) return { kind: 'ip', address, special: specialAddress(address) };
  const name = hostname.replace(/\.+$/, '');
  return { kind: 'name', name, special: specialName(name) };
}

/** Names served on the local machine or network only, by definition. */
const METADATA_NAMES = [
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.platformequinix.com',
];

function specialName(name: string): Special | undefined {
  if (METADATA_NAMES.includes(name)) return { what: 'a cloud metadata service' };
  if (name === 'localhost' || name.endsWith('.localhost')) return { what: 'a loopback name (RFC 6761)', loopback: true };
  if (!name.includes('.')) return { what: 'a single-label name, which resolves only on a local network' };
  for (const suffix of ['local', 'internal', 'home.arpa', 'localdomain']) {
    if (name.endsWith(`.${suffix}`)) return { what: `a local-network name (.${suffix})` };
  }
  return undefined;
}

// Addresses are 128-bit numbers; an IPv4 address is held as its IPv4-mapped IPv6 form (::ffff:a.b.c.d).
const MAPPED_PREFIX = BigInt(0xffff) << BigInt(32);
const IPV4_MASK = BigInt(0xffffffff);

interface Range {
  network: bigint;
  bits: number;
  text: string;
  what: string;
  loopback?: boolean;
  /** Judge by the IPv4 address carried in these bits (offset from the right, 32 bits long). */
  embedsIpv4At?: number;
}

function range(cidr: string, what: string, extra: Partial<Range> = {}): Range {
  const compiled = compileCidr(cidr);
  if (!compiled) throw new Error(`bad built-in range ${cidr}`);
  return { ...compiled, text: cidr, what, ...extra };
}

/** First match wins: the narrow, named ranges come before the wide ones that contain them. */
const IPV4_RANGES: Range[] = [
  range('169.254.169.254/32', 'a cloud metadata service address'),
  range('169.254.170.2/32', 'a cloud metadata service address (ECS)'),
  range('100.100.100.200/32', 'a cloud metadata service address (Alibaba Cloud)'),
  range('192.0.0.192/32', 'a cloud metadata service address (Oracle Cloud)'),
  range('0.0.0.0/8', 'an unspecified ("this network") address'),
  range('10.0.0.0/8', 'a private address'),
  range('100.64.0.0/10', 'a shared (CGNAT) address'),
  range('127.0.0.0/8', 'a loopback address', { loopback: true }),
  range('169.254.0.0/16', 'a link-local address'),
  range('172.16.0.0/12', 'a private address'),
  range('192.0.0.0/24', 'an IETF protocol address'),
  range('192.0.2.0/24', 'a documentation address'),
  range('192.168.0.0/16', 'a private address'),
  range('198.18.0.0/15', 'a benchmarking address'),
  range('198.51.100.0/24', 'a documentation address'),
  range('203.0.113.0/24', 'a documentation address'),
  range('224.0.0.0/4', 'a multicast address'),
  range('240.0.0.0/4', 'a reserved address'),
];

const IPV6_RANGES: Range[] = [
  range('::/128', 'the unspecified address'),
  range('::1/128', 'the loopback address', { loopback: true }),
  range('::ffff:0:0/96', 'an IPv4-mapped address', { embedsIpv4At: 0 }),
  range('64:ff9b::/96', 'a NAT64 address', { embedsIpv4At: 0 }),
  range('64:ff9b:1::/48', 'a local NAT64 address'),
  range('::/8', 'a reserved address (IPv4-compatible)'),
  range('100::/64', 'a discard-only address'),
  range('2001::/32', 'a Teredo tunnel address'),
  range('2001:db8::/32', 'a documentation address'),
  range('2002::/16', 'a 6to4 address', { embedsIpv4At: 80 }),
  range('fd00:ec2::254/128', 'a cloud metadata service address (AWS)'),
  range('fc00::/7', 'a unique-local address'),
  range('fe80::/10', 'a link-local address'),
  range('fec0::/10', 'a site-local address'),
  range('ff00::/8', 'a multicast address'),
];

function inRange(address: bigint, r: { network: bigint; bits: number }): boolean {
  const shift = BigInt(128 - r.bits);
  return address >> shift === r.network >> shift;
}

function specialAddress(address: bigint): Special | undefined {
  if (inRange(address, { network: MAPPED_PREFIX, bits: 96 })) {
    const v4 = IPV4_RANGES.find((r) => inRange(address, r));
    return v4 && { what: `${v4.what} (${v4.text})`, loopback: v4.loopback };
  }
  const v6 = IPV6_RANGES.find((r) => inRange(address, r));
  if (!v6) return undefined;
  if (v6.embedsIpv4At !== undefined) {
    const embedded = MAPPED_PREFIX | ((address >> BigInt(v6.embedsIpv4At)) & IPV4_MASK);
    const inner = specialAddress(embedded);
    return inner && { what: `${v6.what} carrying ${inner.what}`, loopback: inner.loopback };
  }
  return { what: `${v6.what} (${v6.text})`, loopback: v6.loopback };
}

/** The address of an IP literal (IPv4 dotted decimal, or IPv6 with or without brackets); undefined for a name. */
function ipAddress(text: string): bigint | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return MAPPED_PREFIX | BigInt(octets.reduce((n, o) => n * 256 + o, 0));
  }
  const v6 = /^\[?([0-9a-f:.]+)\]?$/i.exec(text);
  return v6 && text.includes(':') ? ipv6Address(v6[1]) : undefined;
}

function ipv6Address(text: string): bigint | undefined {
  let body = text.toLowerCase();
  // A trailing dotted quad (::ffff:10.0.0.1) becomes two groups.
  const quad = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(body);
  if (quad) {
    const octets = quad.slice(2).map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    body = `${quad[1]}${((octets[0] << 8) | octets[1]).toString(16)}:${((octets[2] << 8) | octets[3]).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.reduce((n, g) => (n << BigInt(16)) | BigInt(parseInt(g, 16)), BigInt(0));
}

// ---------------------------------------------------------------------------------------------
// The allow-list

type Entry = { kind: 'name'; name: string } | { kind: 'range'; network: bigint; bits: number };

function compileCidr(text: string): { network: bigint; bits: number } | undefined {
  const match = /^(.+)\/(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const address = normalisedIp(match[1]);
  if (address === undefined) return undefined;
  const isV4 = inRange(address, { network: MAPPED_PREFIX, bits: 96 }) && !match[1].includes(':');
  const bits = Number(match[2]) + (isV4 ? 96 : 0);
  if (bits > 128 || (isV4 && Number(match[2]) > 32)) return undefined;
  return { network: address, bits };
}

/** An IP literal as the URL parser would read it in a URL (so `0x0a.1` is 10.0.0.1), or undefined. */
function normalisedIp(text: string): bigint | undefined {
  const host = text.includes(':') && !text.startsWith('[') ? `[${text}]` : text;
  const hostname = hostnameOf(host);
  return hostname === undefined ? undefined : ipAddress(hostname);
}

function hostnameOf(host: string): string | undefined {
  try {
    const url = new URL(`https://${host}/`);
    // Anything beyond a bare host (a port, a path, credentials) is not an allow-list entry.
    return url.port || url.username || url.password || !/^[^/?#@]+$/.test(host) ? undefined : url.hostname;
  } catch {
    return undefined;
  }
}

function compileEntry(text: string): Entry | undefined {
  const entry = text.trim();
  if (!entry) return undefined;
  if (entry.includes('/')) {
    const cidr = compileCidr(entry);
    return cidr && { kind: 'range', ...cidr };
  }
  const address = normalisedIp(entry);
  if (address !== undefined) return { kind: 'range', network: address, bits: 128 };
  const hostname = hostnameOf(entry);
  // Exact names only: a wildcard would allow names nobody reviewed.
  return hostname === undefined || hostname.includes('*') ? undefined : { kind: 'name', name: hostname.replace(/\.+$/, '') };
}

function isAllowed(host: Host, allowedHosts: readonly string[]): boolean {
  for (const text of allowedHosts) {
    const entry = compileEntry(text);
    if (!entry) continue;
    if (host.kind === 'name' && entry.kind === 'name' && entry.name === host.name) return true;
    if (host.kind === 'ip' && entry.kind === 'range' && inRange(host.address, entry)) return true;
  }
  return false;
}
