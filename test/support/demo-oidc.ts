/**
 * The setup most runtime tests share: oidc-provider with one confidential client registered for the
 * app's redirect URI, and the app settings that make it the `demo` provider (the OpenID Connect
 * preset, discovered from its issuer on loopback, which needs the development switch).
 */
import { startOidcProvider, type OidcTestConfig, type TestAuthServer } from './auth-servers';

export const DEMO_CLIENT = { clientId: 'chat-app', clientSecret: 'chat-app-secret-value', authMethod: 'client_secret_basic' as const };

/** oidc-provider with the demo client; `rotateRefreshToken` and the token lifetime as a test needs them. */
export function startDemoProvider(
  redirectUri: string,
  options: Omit<OidcTestConfig, 'clients'> & { rotateRefreshToken?: boolean } = {},
): Promise<TestAuthServer> {
  const { rotateRefreshToken, ...config } = options;
  return startOidcProvider({
    ...config,
    clients: [
      {
        client_id: DEMO_CLIENT.clientId,
        client_secret: DEMO_CLIENT.clientSecret,
        token_endpoint_auth_method: DEMO_CLIENT.authMethod,
        redirect_uris: [redirectUri],
        ...(rotateRefreshToken ? { rotateRefreshToken } : {}),
      },
    ],
  });
}

/** The app settings that enable slot 1 as the `demo` provider at `provider`. */
export function demoProviderSettings(provider: TestAuthServer): Record<string, unknown> {
  return {
    provider1_enabled: true,
    provider1_preset: 'oidc',
    provider1_id: 'demo',
    provider1_client_id: DEMO_CLIENT.clientId,
    provider1_client_secret: DEMO_CLIENT.clientSecret,
    provider1_site: provider.issuer,
    // oidc-provider listens on http://127.0.0.1: allowed only with the development switch.
    allow_http_loopback: true,
  };
}
