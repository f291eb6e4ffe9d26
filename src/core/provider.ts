/**
 * A provider is data: endpoints and quirks, validated here once, at the edge. Presets (providers/)
 * produce this input; admins' "custom" settings produce it too. Inside the core it is trusted.
 */
import * as z from 'zod/mini';
import { OAuthError } from './errors';
import './zod-messages';

/**
 * The shape of an endpoint: an absolute http(s) URL without fragment. Where the app may actually
 * send requests (https only, no private hosts unless allowed; RFC 6749 §3.1 and §3.2 require TLS)
 * depends on the admin's policy and is checked where a provider is put to use: endpoint-policy.ts.
 */
const endpointUrl = z.string().check(
  z.refine(isAcceptableEndpoint, {
    message: 'must be an absolute https:// URL without a fragment',
  }),
);

export function isAcceptableEndpoint(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hash) return false; // RFC 6749 §3.1: the endpoint URI MUST NOT include a fragment.
  return url.protocol === 'https:' || url.protocol === 'http:';
}

export const CLIENT_AUTH_METHODS = [
  /** RFC 6749 §2.3.1, the method every server must support. */
  'client_secret_basic',
  /** RFC 6749 §2.3.1, credentials in the form body. */
  'client_secret_post',
  /** Public client: no secret, PKCE carries the proof (RFC 7636). */
  'none',
  /**
   * Credentials in the query string of the token request. Weaker: URLs end up in proxy and server
   * logs (RFC 6749 §2.3.1 forbids it). Accepted only for a provider marked `weakerClientAuth`.
   */
  'client_secret_query',
] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

const params = z.record(z.string(), z.string());

const dottedPath = z.string().check(z.regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'must be a dotted path such as `login` or `user.name`'));

/**
 * The values a revocation request template may name, filled by the core for each request
 * (revoke.ts): `{client_id}` the client's id, `{token}` the token being revoked, `{token_type_hint}`
 * its kind as RFC 7009 §2.1 names it (`access_token` or `refresh_token`).
 */
export const REVOCATION_PLACEHOLDERS = ['client_id', 'token', 'token_type_hint'] as const;

/** The `{name}` placeholders of a template string. */
export function placeholdersOf(value: string): string[] {
  return [...value.matchAll(/\{([^{}]*)\}/g)].map((match) => match[1]);
}

const revocationTemplate = z.string().check(
  z.refine((value) => placeholdersOf(value).every((name) => (REVOCATION_PLACEHOLDERS as readonly string[]).includes(name)), {
    message: `may name only ${REVOCATION_PLACEHOLDERS.map((name) => `{${name}}`).join(', ')}`,
  }),
);

/**
 * A revocation request described as data, for a provider whose revocation is not RFC 7009's
 * (e.g. GitHub's DELETE /applications/{client_id}/token). The URL is `endpoints.revocation`, where
 * `{client_id}` may appear (never the token: URLs reach logs, RFC 6750 §5.3).
 */
export const revocationRequestSchema = z
  .strictObject({
    method: z._default(z.enum(['POST', 'DELETE']), 'POST'),
    /** The tokens revoked, one request each, in this order; those the connection lacks are skipped. */
    tokens: z._default(z.array(z.enum(['refresh_token', 'access_token'])).check(z.minLength(1)), ['access_token']),
    /**
     * client: the definition's `clientAuth`, as at the token endpoint (RFC 7009 §2.1);
     * basic: HTTP Basic with the client id and secret whatever the token endpoint uses (RFC 6749 §2.3.1);
     * none: no client credentials (a header such as `authorization: Bearer {token}` may authenticate it).
     */
    clientAuth: z._default(z.enum(['client', 'basic', 'none']), 'client'),
    /** Header names in lower case; `accept` defaults to JSON, `content-type` follows the body's format. */
    headers: z._default(z.record(z.string().check(z.regex(/^[a-z0-9-]+$/, 'a header name in lower case')), revocationTemplate), {}),
    body: z.optional(z.strictObject({ format: z.enum(['form', 'json']), fields: z.record(z.string().check(z.minLength(1)), revocationTemplate) })),
  })
  .check(
    z.refine((request) => request.clientAuth === 'none' || request.headers.authorization === undefined, {
      path: ['headers', 'authorization'],
      message: 'is set by the client authentication; use clientAuth "none" to give it here',
    }),
  );

export type RevocationRequestTemplate = z.output<typeof revocationRequestSchema>;

/** Parameters the core sets itself on the authorization request; a definition may not supply them. */
const RESERVED_AUTHORIZATION_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'];

export const providerDefinitionSchema = z
  .strictObject({
    id: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lower-case letters, digits or dashes, starting with a letter or digit')),
    displayName: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(64)),
    /**
     * The authorization server's issuer identifier (RFC 8414 §2). With `discovery`, endpoints come
     * from its metadata; it is also what the `iss` response parameter must equal (RFC 9207).
     */
    issuer: z.optional(endpointUrl),
    /** Where metadata is found: OpenID Connect Discovery 1.0 §4, or RFC 8414 §3. */
    discovery: z._default(z.enum(['none', 'openid', 'oauth']), 'none'),
    endpoints: z._default(
      z.object({
        authorization: z.optional(endpointUrl),
        token: z.optional(endpointUrl),
        revocation: z.optional(endpointUrl),
        userinfo: z.optional(endpointUrl),
      }),
      {},
    ),
    scopes: z._default(
      z.object({
        default: z._default(
          z.array(z.string().check(z.regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope is printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)'))),
          [],
        ),
        /** RFC 6749 §3.3 says space; some providers (Slack) use commas. */
        delimiter: z._default(z.enum([' ', ',']), ' '),
        /** The authorization parameter that carries user scopes (Slack: `user_scope`). */
        param: z._default(z.string().check(z.regex(/^[a-z_]+$/)), 'scope'),
        /** Scopes the server names differently in its token answer (Google: `email` → `…/auth/userinfo.email`). */
        reportedAs: z._default(params, {}),
        /** Scopes the server grants without listing them in its token answer. */
        unreported: z._default(z.array(z.string()), []),
        /** An empty `scope` in the token answer lists nothing, rather than granting nothing (GitHub Apps). */
        emptyMeansUnlisted: z._default(z.boolean(), false),
      }),
      { default: [], delimiter: ' ', param: 'scope', reportedAs: {}, unreported: [], emptyMeansUnlisted: false },
    ),
    clientAuth: z._default(z.enum(CLIENT_AUTH_METHODS), 'client_secret_basic'),
    /** Must be set to use `client_secret_query`: the preset says it knows the method is weaker. */
    weakerClientAuth: z._default(z.boolean(), false),
    /** PKCE with S256 (RFC 7636 §4.2; OAuth 2.0 Security BCP, RFC 9700 §2.1.1). */
    pkce: z._default(z.boolean(), true),
    /** Extra authorization request parameters; an empty value means "do not send" (so advanced JSON can drop a preset's). */
    authorizationParams: z._default(params, {}),
    /**
     * OpenID Connect Core 1.0 §11: when `offline_access` is asked for, `prompt` MUST contain
     * `consent` unless other conditions permit offline access; servers that follow it (oidc-provider)
     * give no refresh token otherwise. A provider whose documentation grants refresh tokens for
     * `offline_access` alone, and where a forced consent does harm, turns this off in its preset.
     */
    consentForOfflineAccess: z._default(z.boolean(), true),
    tokenParams: z._default(params, {}),
    /** RFC 6749 §4.1.3: REQUIRED when the authorization request included it, which ours always does. */
    redirectUriAtTokenExchange: z._default(z.boolean(), true),
    /** GitLab documents redirect_uri on refresh requests too (docs.gitlab.com/api/oauth2). */
    redirectUriAtRefresh: z._default(z.boolean(), false),
    /** RFC 6749 §4.1.3 says form; Atlassian documents a JSON body. */
    tokenRequestFormat: z._default(z.enum(['form', 'json']), 'form'),
    /**
     * Where the token sits in the code exchange answer, e.g. ['authed_user'] for Slack user tokens.
     * Refresh answers are read at the top level (Slack sends a refreshed user token there).
     */
    tokenPath: z._default(z.array(z.string().check(z.minLength(1))), []),
    /** Provider error codes translated to RFC 6749 §5.2 codes, e.g. GitHub's `bad_verification_code` → `invalid_grant`. */
    errorCodes: z._default(params, {}),
    revocation: z._default(
      z.object({
        /**
         * rfc7009: POST token + token_type_hint with client authentication (RFC 7009 §2.1).
         * bearer: POST with the access token as Bearer credentials (RFC 6750 §2.1; Dropbox, Slack).
         * request: as `request` describes it.
         */
        style: z._default(z.enum(['rfc7009', 'bearer', 'request']), 'rfc7009'),
        /** With style `request`: the request to send for each token. */
        request: z.optional(revocationRequestSchema),
        /**
         * Revoking one token of a grant revokes the whole grant (Google, Dropbox): one request, the
         * refresh token when there is one. Such providers may refuse a second request for the token
         * already gone (Google answers 400 invalid_token).
         */
        revokesGrant: z._default(z.boolean(), false),
      }),
      { style: 'rfc7009', revokesGrant: false },
    ),
    /** The provider's page where a user removes an app's access: shown when the app itself cannot revoke. */
    appAccessPage: z.optional(endpointUrl),
    /** Where to read who the user is at the provider, and the path to a readable account name. */
    profile: z.optional(
      z.object({
        url: z.optional(endpointUrl),
        method: z._default(z.enum(['GET', 'POST']), 'GET'),
        accountNamePath: dottedPath,
      }),
    ),
    /**
     * How the provider flags an error inside an HTTP 200 answer, for a provider that does (Slack:
     * `ok: false` + `error`). Read by the token, revocation and profile readers and for API calls.
     * Providers without it are read as RFC 6749 §5.2 and RFC 6750 §3.1 say.
     */
    errorAnswer: z.optional(
      z.strictObject({
        /** Where the flag is, e.g. `ok`. */
        flagPath: dottedPath,
        /** The flag's value that means an error, e.g. `false`; absent: any value other than null, false or empty. */
        flagValue: z.optional(z.union([z.boolean(), z.string(), z.number()])),
        /** Where the error code is; translated by `errorCodes` where an OAuth code is needed. */
        codePath: z._default(dottedPath, 'error'),
        /** Codes (as the provider sends them) that say the access token itself is refused, as an HTTP 401 would (RFC 6750 §3.1). */
        tokenRefused: z._default(z.array(z.string().check(z.minLength(1))), []),
      }),
    ),
  })
  .check(
    z.superRefine((def, ctx) => {
      if (def.discovery !== 'none' && !def.issuer) {
        ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'is required when discovery is on' });
      }
      if (def.discovery === 'none') {
        for (const name of ['authorization', 'token'] as const) {
          if (!def.endpoints[name]) {
            ctx.addIssue({ code: 'custom', path: ['endpoints', name], message: 'is required (or give an issuer with discovery)' });
          }
        }
      }
      if (def.clientAuth === 'client_secret_query' && !def.weakerClientAuth) {
        ctx.addIssue({
          code: 'custom',
          path: ['clientAuth'],
          message: 'client_secret_query puts the secret in URLs; it is allowed only for a provider that requires it (weakerClientAuth: true)',
        });
      }
      for (const name of Object.keys(def.authorizationParams)) {
        if (RESERVED_AUTHORIZATION_PARAMS.includes(name) || name === def.scopes.param) {
          ctx.addIssue({ code: 'custom', path: ['authorizationParams', name], message: 'is set by the connector itself and cannot be given here' });
        }
      }
      if (def.revocation.style === 'request' && !def.revocation.request) {
        ctx.addIssue({ code: 'custom', path: ['revocation', 'request'], message: 'is required with style "request"' });
      }
      if (def.revocation.style !== 'request' && def.revocation.request) {
        ctx.addIssue({ code: 'custom', path: ['revocation', 'request'], message: 'is used only with style "request"' });
      }
      const revocationUrlNames = placeholdersOf(def.endpoints.revocation ?? '');
      if (revocationUrlNames.some((name) => name !== 'client_id')) {
        ctx.addIssue({ code: 'custom', path: ['endpoints', 'revocation'], message: 'may name only {client_id}: a token in a URL would reach logs' });
      }
      if (def.clientAuth === 'none' && !def.pkce) {
        ctx.addIssue({ code: 'custom', path: ['pkce'], message: 'must be on for a public client (RFC 9700 §2.1.1)' });
      }
    }),
  );

export type ProviderInput = z.input<typeof providerDefinitionSchema>;
export type ProviderDefinition = z.output<typeof providerDefinitionSchema>;

/**
 * Validates a provider definition. Throws `invalid_configuration` naming the first bad field and
 * what is wrong with it, e.g. `endpoints.token: must be an absolute https:// URL`.
 */
export function parseProviderDefinition(input: unknown): ProviderDefinition {
  const result = providerDefinitionSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.map(String).join('.') || '(definition)';
  const id = typeof (input as { id?: unknown })?.id === 'string' ? (input as { id: string }).id : undefined;
  throw new OAuthError(
    'invalid_configuration',
    `Provider definition${id ? ` "${id}"` : ''}: ${field}: ${describeIssue(issue)}`,
    { field, providerId: id },
    { cause: result.error },
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_value' && 'values' in issue) return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_type') return `must be ${issue.expected}`;
  return issue.message;
}

/** A provider whose endpoints are all known: after discovery, or directly for `discovery: 'none'`. */
export interface ResolvedProvider extends ProviderDefinition {
  endpoints: ProviderDefinition['endpoints'] & { authorization: string; token: string };
  /** RFC 9207 §3: the server said it always sends `iss`; a response without it is then refused. */
  issParameterRequired: boolean;
}

/** The app's registration at the provider. */
export interface ClientCredentials {
  clientId: string;
  clientSecret?: string;
  /** Exactly as registered at the provider (RFC 6749 §3.1.2). */
  redirectUri: string;
}
