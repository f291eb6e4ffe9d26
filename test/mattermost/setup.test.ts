/** The setup command against a stand-in for a Mattermost server (which cannot run here). */
import { MattermostStandIn } from '../../tools/mattermost-standin';
import { setUpCommands, setupReport } from '../../src/mattermost/setup';

let standIn: MattermostStandIn;
let team: { id: string; name: string };
let adminToken: string;
let userToken: string;

beforeAll(async () => {
  standIn = await MattermostStandIn.start({ allowedUntrustedInternalConnections: ['127.0.0.1'] });
  team = standIn.addTeam({ name: 'engineering' });
  const admin = standIn.addUser({ username: 'root', roles: 'system_user system_admin', teams: [team.id] });
  const user = standIn.addUser({ username: 'plain', teams: [team.id] });
  adminToken = standIn.loginAs(admin.id);
  userToken = standIn.loginAs(user.id);
});

afterAll(() => standIn?.close());

describe('npm run mattermost -- setup, against a stand-in for a Mattermost server (which cannot run here)', () => {
  it("registers /oauth on the team, pointing at the service, and prints the team's token for the configuration", async () => {
    const [result] = await setUpCommands({ siteUrl: standIn.url, adminToken, teams: ['engineering'], serviceUrl: 'https://oauth.example.com/' });
    expect(result).toEqual({ team: 'engineering', teamId: team.id, token: expect.stringMatching(/^[a-z0-9]{26}$/), created: true });
    const report = setupReport([result], true);
    expect(report).toContain(`"${team.id}": "${result.token}"`);
    expect(report).toContain(`MATTERMOST_COMMAND_TOKENS=${team.id}:${result.token}`);
    expect(report).toMatch(/"tokenKey": "[A-Za-z0-9_-]{43}"/);
    const listed = await fetch(`${standIn.url}/api/v4/commands?team_id=${team.id}&custom_only=true`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(await listed.json()).toEqual([
      expect.objectContaining({ trigger: 'oauth', url: 'https://oauth.example.com/mattermost/command', method: 'P', auto_complete: true }),
    ]);
  });

  it('run again, updates the command to the new address and keeps its token', async () => {
    const [first] = await setUpCommands({ siteUrl: standIn.url, adminToken, teams: ['engineering'], serviceUrl: 'https://oauth.example.com' });
    const [again] = await setUpCommands({ siteUrl: standIn.url, adminToken, teams: ['engineering'], serviceUrl: 'https://connector.example.com' });
    expect(again).toEqual({ ...first, created: false });
    const listed = await fetch(`${standIn.url}/api/v4/commands?team_id=${team.id}&custom_only=true`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(await listed.json()).toEqual([expect.objectContaining({ url: 'https://connector.example.com/mattermost/command', token: first.token })]);
  });

  it("says what Mattermost refused: a user who may not manage the team's commands, a team that does not exist", async () => {
    await expect(setUpCommands({ siteUrl: standIn.url, adminToken: userToken, teams: ['engineering'], serviceUrl: 'https://x.example' })).rejects.toThrow(
      /HTTP 403 to GET \/commands/,
    );
    await expect(setUpCommands({ siteUrl: standIn.url, adminToken, teams: ['nowhere'], serviceUrl: 'https://x.example' })).rejects.toThrow(
      /HTTP 404 to GET \/teams\/name\/nowhere/,
    );
  });
});
