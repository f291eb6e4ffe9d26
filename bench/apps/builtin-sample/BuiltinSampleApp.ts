/**
 * Rocket.Chat's built-in OAuth2 client, used the way the Apps-Engine documentation's OAuth2 sample
 * uses it (developer.rocket.chat, "OAuth2 Client"): `createOAuth2Client(this, options)` made and set
 * up in `extendConfiguration`, which registers its callback endpoint and its two settings, and a
 * slash command that reads the user's token with `getAccessTokenForUser`. The bench compares the
 * app with it on the same runtime; it never ships.
 *
 * Its endpoints are never called: the built-in client cannot complete a flow at the bench's
 * provider (see bench/builtin-connection.ts), so the bench stores its connection record as the
 * client itself stores one.
 */
import type { IConfigurationExtend } from '@rocket.chat/apps-engine/definition/accessors';
import { App } from '@rocket.chat/apps-engine/definition/App';
import type { IOAuth2Client, IOAuth2ClientOptions } from '@rocket.chat/apps-engine/definition/oauth2/IOAuth2';
import { createOAuth2Client } from '@rocket.chat/apps-engine/definition/oauth2/OAuth2';

import { BuiltinBenchCommand } from './BuiltinBenchCommand';
import { SampleOAuthCommand } from './SampleOAuthCommand';

/** The alias names the client's endpoint (`sample-callback`), settings and record (`sample-oauth-connection`). */
export const SAMPLE_ALIAS = 'sample';

const OPTIONS: IOAuth2ClientOptions = {
  alias: SAMPLE_ALIAS,
  accessTokenUri: 'https://provider.example.test/token',
  authUri: 'https://provider.example.test/auth',
  refreshTokenUri: 'https://provider.example.test/token',
  revokeTokenUri: 'https://provider.example.test/token/revocation',
  defaultScopes: ['openid', 'profile', 'email'],
};

export class BuiltinSampleApp extends App {
  private client?: IOAuth2Client;

  /** The client made in extendConfiguration; the engine keeps this App object alive between requests. */
  get oauth2Client(): IOAuth2Client {
    if (!this.client) throw new Error('The OAuth2 client is made in extendConfiguration, which has not run');
    return this.client;
  }

  protected override async extendConfiguration(configuration: IConfigurationExtend): Promise<void> {
    this.client = createOAuth2Client(this, OPTIONS);
    await this.client.setup(configuration);
    await configuration.slashCommands.provideSlashCommand(new SampleOAuthCommand(this));
    await configuration.slashCommands.provideSlashCommand(new BuiltinBenchCommand(this));
  }
}
