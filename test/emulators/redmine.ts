/**
 * Redmine (6.1 and later: the built-in OAuth 2 provider, Doorkeeper 5.8) and Planio (hosted
 * Redmine), emulated from their documentation and Redmine's source, which is where Redmine states
 * its OAuth configuration:
 * - [issue] https://www.redmine.org/issues/24808 (the feature: "OAuth2 provider", in Redmine 6.1)
 * - [planio] https://plan.io/redmine-api-oauth2/ (applications, scopes as Redmine permissions, revoking access)
 * - [config] https://github.com/redmine/redmine/blob/6.1.0/config/initializers/30-redmine.rb (Doorkeeper.configure)
 * - [tables] https://github.com/redmine/redmine/blob/6.1.0/db/migrate/20250611092155_create_doorkeeper_tables.rb
 * - [pkce] https://github.com/redmine/redmine/blob/6.1.0/db/migrate/20250611092227_enable_pkce.rb
 * - [app-auth] https://github.com/redmine/redmine/blob/6.1.0/app/controllers/application_controller.rb (find_current_user, require_login)
 * - [users-api] https://www.redmine.org/projects/redmine/wiki/Rest_Users and
 *   https://github.com/redmine/redmine/blob/6.1.0/app/views/users/show.api.rsb
 * - [my-account] https://github.com/redmine/redmine/blob/6.1.0/app/views/my/account.html.erb (the "Authorized applications" link)
 * - Doorkeeper 5.8.2 itself, as cited in gitlab.ts ([dk-…] there): authorization, token, revocation.
 */
import { DoorkeeperServer, DOORKEEPER_MESSAGES } from './doorkeeper';
import { EmulatorServer, json, lifecycleOf, type EmulatorAnswer, type EmulatorOptions, type ProviderEmulator } from './kit';

export const REDMINE_DOCS = [
  'https://www.redmine.org/issues/24808',
  'https://plan.io/redmine-api-oauth2/',
  'https://github.com/redmine/redmine/blob/6.1.0/config/initializers/30-redmine.rb',
  'https://www.redmine.org/projects/redmine/wiki/Rest_Users',
  'https://github.com/doorkeeper-gem/doorkeeper/tree/v5.8.2',
];

/**
 * [config] optional_scopes: every Redmine permission, plus `admin`; [planio] "scopes" are these
 * permission names. (lib/redmine/preparation.rb of 6.1, core modules only.)
 */
const REDMINE_SCOPES = new Set(
  (
    'view_project search_project add_project edit_project close_project delete_project select_project_publicity select_project_modules ' +
    'view_members manage_members manage_versions add_subprojects manage_public_queries save_queries use_webhooks view_issues add_issues ' +
    'edit_issues edit_own_issues copy_issues manage_issue_relations manage_subtasks set_issues_private set_own_issues_private add_issue_notes ' +
    'edit_issue_notes edit_own_issue_notes view_private_notes set_notes_private delete_issues view_issue_watchers add_issue_watchers ' +
    'delete_issue_watchers import_issues manage_categories view_time_entries log_time edit_time_entries edit_own_time_entries ' +
    'manage_project_activities log_time_for_other_users import_time_entries view_news manage_news comment_news view_documents add_documents ' +
    'edit_documents delete_documents view_files manage_files view_wiki_pages view_wiki_edits export_wiki_pages edit_wiki_pages rename_wiki_pages ' +
    'delete_wiki_pages delete_wiki_pages_attachments view_wiki_page_watchers add_wiki_page_watchers delete_wiki_page_watchers protect_wiki_pages ' +
    'manage_wiki view_changesets browse_repository commit_access manage_related_issues manage_repository view_messages add_messages edit_messages ' +
    'edit_own_messages delete_messages delete_own_messages view_message_watchers add_message_watchers delete_message_watchers manage_boards ' +
    'view_calendar view_gantt admin'
  ).split(' '),
);

export async function startRedmineEmulator(options: EmulatorOptions & { site?: string }): Promise<ProviderEmulator> {
  const { client } = options;
  // A self-hosted Redmine or a Planio account (https://<name>.plan.io); the app's "site" setting.
  const site = new URL(options.site ?? 'https://redmine.example.com');
  const host = site.host;
  const root = site.pathname.replace(/\/+$/, '');
  const server = await EmulatorServer.start();

  const doorkeeper = new DoorkeeperServer({
    client,
    scopes: REDMINE_SCOPES,
    // [config] default_scopes: Redmine's public permissions.
    defaultScopes: ['view_project', 'search_project', 'view_members'],
    // [config] realm Redmine::Info.app_name.
    realm: 'Redmine',
    // [config] access_token_expires_in is left at Doorkeeper's default, "(default: 2 hours)".
    accessTtlS: options.accessTtlS ?? 7200,
    // [tables] oauth_access_tokens has previous_refresh_token: Doorkeeper's refresh_token_revoked_on_use.
    // A refresh leaves the old pair alive until the new access token is first used at the API
    // ([app-auth] Doorkeeper.authenticate → revoke_previous_refresh_token!); then reusing the old
    // refresh token is invalid_grant.
    refreshRevokedOnUse: true,
    // Doorkeeper's default token generator (urlsafe Base64).
    tokenFormat: 'urlsafe_base64',
  });

  // Doorkeeper's routes ([config] `use_doorkeeper` in config/routes.rb): [config] grant_flows
  // ['authorization_code'], use_refresh_token; [pkce] PKCE (plain and S256) is available, not forced.
  // [config] the resource owner must be logged in and the REST API enabled (else 403): assumed here.
  server.on(host, 'GET', `${root}/oauth/authorize`, (req) => doorkeeper.authorize(req, 'Redmine'));
  server.on(host, 'POST', `${root}/oauth/token`, (req) => doorkeeper.token(req));
  // Doorkeeper 5.8's POST /oauth/revoke (RFC 7009): client authentication required, Basic or body.
  server.on(host, 'POST', `${root}/oauth/revoke`, (req) => doorkeeper.revoke(req));

  // [users-api] GET /users/current.json: the user whose credentials are used to access the API.
  server.on(host, 'GET', `${root}/users/current.json`, (req) => {
    // [app-auth] find_current_user: an API key (X-Redmine-API-Key / key) would come first; then
    // Doorkeeper.authenticate(request).
    const { row } = doorkeeper.authenticate(req);
    // [app-auth] a token Doorkeeper does not know leaves the user anonymous: require_login answers
    // `head(:unauthorized, 'WWW-Authenticate' => 'Basic realm="Redmine API"')`, an empty 401.
    if (!row) return { status: 401, headers: { 'www-authenticate': 'Basic realm="Redmine API"' }, body: '' };
    // [app-auth] a known token that is not accessible: doorkeeper_render_error, i.e. `head 401`
    // with Doorkeeper's InvalidTokenResponse headers (revoked before expired).
    if (!doorkeeper.accessible(row)) {
      const description = doorkeeper.invalidReason(row) === 'revoked' ? DOORKEEPER_MESSAGES.token_revoked : DOORKEEPER_MESSAGES.token_expired;
      return invalidToken(description);
    }
    const { account } = row;
    const [firstname, ...rest] = account.name.split(' ');
    // [users-api] show.api.rsb for the current user: api_key is left out when authorized by OAuth;
    // mail is shown unless the user hides it.
    return json(200, {
      user: {
        id: Number(account.id),
        login: account.login,
        admin: false,
        firstname,
        lastname: rest.join(' '),
        mail: account.email,
        created_on: '2020-01-01T00:00:00Z',
        updated_on: '2020-01-01T00:00:00Z',
        last_login_on: new Date(row.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        passwd_changed_on: null,
        twofa_scheme: null,
      },
    });
  });

  return {
    preset: 'redmine',
    docs: REDMINE_DOCS,
    server,
    settings: { site: `${site.origin}${root}` },
    behaviour: { refreshes: true, expires: true, revocation: true },
    tokenCalls: doorkeeper.tokenCalls,
    ...lifecycleOf(doorkeeper, server),
  };
}

function invalidToken(description: string): EmulatorAnswer {
  return {
    status: 401,
    headers: { 'cache-control': 'no-store, no-cache', 'www-authenticate': `Bearer realm="Redmine", error="invalid_token", error_description="${description}"` },
    body: '',
  };
}
