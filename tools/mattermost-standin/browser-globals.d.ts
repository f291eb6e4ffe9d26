/**
 * @mattermost/types 11.9.0 names two browser-only globals in declarations Client4 pulls in:
 * `React.ReactNode` (admin.d.ts, PluginAnalyticsRow) and `SVGAnimatedString` (integrations.d.ts, the
 * mistyped CommandResponse.channel_id). This project type-checks libraries (`skipLibCheck: false`)
 * without the DOM or React, so both are declared here as opaque shapes; nothing here uses them.
 */
declare global {
  interface SVGAnimatedString {
    readonly animVal: string;
    readonly baseVal: string;
  }
  namespace React {
    type ReactNode = unknown;
  }
}

export {};
