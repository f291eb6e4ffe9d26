/**
 * A Mattermost server stand-in for tests and local runs (no Mattermost server can run on the machines
 * this project is built on). Written from Mattermost's server source; each module cites the files its
 * behaviour comes from.
 */
export { MattermostStandIn, type ButtonClick, type SlashCommandRun, type StandInOptions } from './server';
export { RESPONSE_URL_LIFETIME_MS, RESPONSE_URL_MAX_USES, type RequestLogEntry } from './store';
export { MAX_INTEGRATION_RESPONSE_BYTES, type SentCommand } from './slash-commands';
export type { AppErrorBody } from './errors';
export type { ActionRequest, Channel, Command, ServerAttachment, ServerPostAction, Team, WireCommandResponse, WirePost, WireUser } from './wire';
