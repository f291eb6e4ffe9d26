// Engine-internal bridges.
//   - internal: room usernames (server/rooms/Room.js `usernames`), the workspace public key setting.
//   - internal federation: the RSA key pair AppSignatureManager signs each stored app record with
//     (RS512) at install and verifies at every enable; without a real pair no app gets enabled.
//     Generating one takes 100-300 ms, so it is made once per process.

import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

import type { ISetting, SettingType } from '@rocket.chat/apps-engine/definition/settings';
import type { IInternalBridge, IInternalFederationBridge } from '@rocket.chat/apps-engine/server/bridges';

import type { World } from '../world';

let keyPair: Promise<{ publicKey: string; privateKey: string }> | undefined;

export function signingKeyPair(): Promise<{ publicKey: string; privateKey: string }> {
  keyPair ??= promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return keyPair;
}

export function createInternalFederationBridge(): IInternalFederationBridge {
  return {
    getPrivateKey: async () => (await signingKeyPair()).privateKey,
    getPublicKey: async () => (await signingKeyPair()).publicKey,
  };
}

export function createInternalBridge(world: World): IInternalBridge {
  const usernames = (roomId: string) => world.roomMembers(roomId).map((user) => user.username);
  return {
    doGetUsernamesOfRoomById: async (roomId) => usernames(roomId),
    doGetUsernamesOfRoomByIdSync: usernames,
    doGetWorkspacePublicKey: async (): Promise<ISetting> => ({
      id: 'Cloud_Workspace_PublicKey',
      type: 'string' as SettingType,
      packageValue: '',
      value: '',
      required: false,
      public: false,
      i18nLabel: 'Cloud_Workspace_PublicKey',
    }),
  };
}
