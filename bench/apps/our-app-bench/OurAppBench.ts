/**
 * The app (src/OAuthApp.ts) with one bench-only slash command added, `/oauth-bench`, which uses the
 * app's token service inside the app's own process. Built from the same recipe as the product zip
 * (scripts/package.mjs); it never ships, and the product zip does not contain it.
 */
import type { IConfigurationExtend } from '@rocket.chat/apps-engine/definition/accessors';

import { OAuthApp } from '../../../src/OAuthApp';
import { OurBenchCommand } from './OurBenchCommand';

export class OurAppBench extends OAuthApp {
  protected override async extendConfiguration(configuration: IConfigurationExtend): Promise<void> {
    await super.extendConfiguration(configuration);
    await configuration.slashCommands.provideSlashCommand(new OurBenchCommand(this));
  }
}
