/**
 * Client authentication at the token and revocation endpoints (RFC 6749 §2.3.1; RFC 7009 §2.1
 * uses the same). One function, so a provider's method is applied the same way everywhere.
 */
import { OAuthError } from './errors';
import type { HttpRequest } from './ports';
import type { ClientAuthMethod, ClientCredentials } from './provider';

/**
 * Adds the client's credentials to a form request. `fields` is the form before encoding; the
 * request's URL and headers are changed in place for the methods that use them.
 */
export function applyClientAuth(
  method: ClientAuthMethod,
  client: ClientCredentials,
  providerId: string,
  request: { url: string; headers: HttpRequest['headers'] },
  fields: Record<string, string | undefined>,
): void {
  if (method === 'none') {
    // RFC 6749 §3.2.1: a public client identifies itself with client_id.
    fields.client_id = client.clientId;
    return;
  }
  const secret = client.clientSecret;
  if (!secret) {
    throw new OAuthError('invalid_configuration', `No client secret is set for ${providerId}, whose token endpoint requires one (${method})`, {
      providerId,
      field: 'clientSecret',
    });
  }
  switch (method) {
    case 'client_secret_basic':
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
      request.headers.authorization = basicCredentials(client.clientId, secret);
      return;
    case 'client_secret_post':
      fields.client_id = client.clientId;
      fields.client_secret = secret;
      return;
    case 'client_secret_query': {
      const url = new URL(request.url);
      url.searchParams.set('client_id', client.clientId);
      url.searchParams.set('client_secret', secret);
      request.url = url.toString();
      return;
    }
  }
}

export function basicCredentials(id: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}
