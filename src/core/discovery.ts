/**
 * Authorization server metadata: OpenID Connect Discovery 1.0 and RFC 8414. Fetched once per
 * issuer and cached, so a getter on a hot path never waits for it twice.
 */
import * as z from 'zod/mini';
import { OAuthError } from './errors';
import { decodeBody, describeShape, send } from './http';
import type { Clock, HttpTransport } from './ports';
import { systemClock } from './ports';
import { isAcceptableEndpoint, type ProviderDefinition, type ResolvedProvider } from './provider';
import './zod-messages';

/** The shape only; the connector applies the endpoint policy to what discovery found (endpoint-policy.ts). */
const metadataUrl = z.string().check(z.refine(isAcceptableEndpoint, 'must be an absolute https URL without a fragment'));

const metadataSchema = z.object({
  issuer: z.string().check(z.minLength(1)),
  authorization_endpoint: metadataUrl,
  token_endpoint: metadataUrl,
  revocation_endpoint: z.optional(metadataUrl),
  userinfo_endpoint: z.optional(metadataUrl),
  code_challenge_methods_supported: z.optional(z.array(z.string())),
  authorization_response_iss_parameter_supported: z.optional(z.boolean()),
});

export type AuthorizationServerMetadata = z.infer<typeof metadataSchema>;

/** OpenID Connect Discovery 1.0 §4.1: the path is appended to the issuer. */
export function openidConfigurationUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/** RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path. */
export function oauthMetadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

/** Issuers compared as RFC 8414 §3.3 asks, forgiving only a trailing slash an admin may have typed. */
export function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/$/, '') === b.replace(/\/$/, '');
}

export class MetadataCache {
  private readonly entries = new Map<string, { metadata: AuthorizationServerMetadata; until: number }>();
  private readonly inFlight = new Map<string, Promise<AuthorizationServerMetadata>>();

  /**
   * `transport` is the default for calls that bring none: a cache kept for a whole process is
   * given each request's transport instead (the app's HTTP accessor is per request).
   */
  constructor(
    private readonly transport?: HttpTransport,
    private readonly options: { ttlMs?: number; clock?: Clock } = {},
  ) {}

  /**
   * `clock` is the caller's: a cache shared by a process is made once, without the clock of each
   * connector that uses it, and an entry's age must be read on the same clock as everything else.
   */
  async get(
    issuer: string,
    kind: 'openid' | 'oauth',
    providerId: string,
    transport = this.transport,
    clock: Clock = this.options.clock ?? systemClock,
  ): Promise<AuthorizationServerMetadata> {
    const key = `${kind} ${issuer}`;
    const cached = this.entries.get(key);
    if (cached && cached.until > clock.now()) return cached.metadata;
    let pending = this.inFlight.get(key);
    if (!pending) {
      if (!transport) throw new Error('MetadataCache needs a transport');
      pending = fetchMetadata(transport, issuer, kind, providerId).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const metadata = await pending;
    // Failures are not cached: the next call tries again.
    this.entries.set(key, { metadata, until: clock.now() + (this.options.ttlMs ?? 60 * 60 * 1000) });
    return metadata;
  }

  /** Completes a definition into a provider whose endpoints are all known. */
  async resolve(definition: ProviderDefinition, transport = this.transport, clock?: Clock): Promise<ResolvedProvider> {
    if (definition.discovery === 'none') return resolveWithoutDiscovery(definition);
    const metadata = await this.get(definition.issuer!, definition.discovery, definition.id, transport, clock);
    return {
      ...definition,
      // The metadata's own spelling is the one `iss` must match.
      issuer: metadata.issuer,
      endpoints: {
        authorization: definition.endpoints.authorization ?? metadata.authorization_endpoint,
        token: definition.endpoints.token ?? metadata.token_endpoint,
        revocation: definition.endpoints.revocation ?? metadata.revocation_endpoint,
        userinfo: definition.endpoints.userinfo ?? metadata.userinfo_endpoint,
      },
      issParameterRequired: metadata.authorization_response_iss_parameter_supported === true,
    };
  }
}

export function resolveWithoutDiscovery(definition: ProviderDefinition): ResolvedProvider {
  const { authorization, token } = definition.endpoints;
  if (!authorization || !token) {
    // parseProviderDefinition already refuses this; kept for definitions built by hand.
    throw new OAuthError('invalid_configuration', `Provider "${definition.id}" has no authorization or token endpoint`, { providerId: definition.id });
  }
  return { ...definition, endpoints: { ...definition.endpoints, authorization, token }, issParameterRequired: false };
}

async function fetchMetadata(transport: HttpTransport, issuer: string, kind: 'openid' | 'oauth', providerId: string): Promise<AuthorizationServerMetadata> {
  const url = kind === 'openid' ? openidConfigurationUrl(issuer) : oauthMetadataUrl(issuer);
  const response = await send(transport, { method: 'GET', url, headers: { accept: 'application/json' } }, 'metadata endpoint', providerId);
  if (response.status >= 500 || response.status === 429) {
    throw new OAuthError('provider_unavailable', `The metadata of ${providerId} answered HTTP ${response.status}`, { providerId, status: response.status });
  }
  if (response.status !== 200) {
    throw new OAuthError('provider_misconfigured', `No metadata at ${url} (HTTP ${response.status}): check the issuer URL`, {
      providerId,
      status: response.status,
    });
  }
  const body = decodeBody(response);
  const parsed = body.shape === 'json' ? metadataSchema.safeParse(body.fields) : undefined;
  if (!parsed) {
    throw new OAuthError('invalid_response', `The metadata of ${providerId} is ${describeShape(body.shape)}, not JSON`, {
      providerId,
      status: response.status,
    });
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OAuthError('invalid_response', `The metadata of ${providerId} is invalid: ${issue.path.join('.')}: ${issue.message}`, { providerId });
  }
  // RFC 8414 §3.3 / OIDC Discovery §4.3: a document for another issuer must not be used.
  if (!sameIssuer(parsed.data.issuer, issuer)) {
    throw new OAuthError('provider_misconfigured', `The metadata at ${url} is for issuer ${parsed.data.issuer}, not ${issuer}: check the issuer URL`, {
      providerId,
    });
  }
  return parsed.data;
}
