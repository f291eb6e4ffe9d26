/** The platform-free OAuth 2.0 core. Nothing here imports a chat platform. */
export * from './errors';
export * from './ports';
export * from './provider';
export * from './tokens';
export * from './redact';
export {
  beginAuthorization,
  readAuthorizationResponse,
  pkceChallenge,
  randomToken,
  DEFAULT_STATE_TTL_MS,
  type AuthorizationStart,
  type CallbackQuery,
} from './authorize';
export { MetadataCache, openidConfigurationUrl, oauthMetadataUrl } from './discovery';
export {
  checkEndpoint,
  checkUserPage,
  enforceEndpointPolicy,
  findEndpointViolation,
  parseAllowedHosts,
  STRICT_ENDPOINT_POLICY,
  type EndpointFix,
  type EndpointPolicy,
  type EndpointVerdict,
  type EndpointViolation,
} from './endpoint-policy';
export { buildTokenRequest, readTokenResponse, requestTokens, type TokenGrant } from './token';
export { buildRevocationRequests, revokeTokens, type RevocationOutcome, type RevocationResult } from './revoke';
export { buildProfileRequest, readProfileResponse, type Profile } from './profile';
export { TokenGetter, type GetOptions, type TokenGetterOptions } from './getter';
export { OAuthConnector, type CompletedAuthorization, type ConnectorOptions, type ProviderRegistry } from './connector';
export { PRESETS, findPreset, definitionFromPreset, type Preset, type PresetOptions } from './providers';
export {
  isSealed,
  newSealingKey,
  openSealed,
  parseKeyRing,
  parseSealingKey,
  sealValue,
  sealedKeyId,
  SealingKey,
  SEAL_VERSION,
  type KeyRing,
  type Opened,
  type OpenFailure,
  type SealContext,
} from './sealing';
export {
  needsReseal,
  SealedLinkedStateStore,
  SealedStateStore,
  SealedTokenStore,
  SEALED_STATE_FORMAT,
  SEALED_TOKEN_FIELDS,
  SEALED_TOKEN_FORMAT,
  type SealedStoreOptions,
  type SealingLogger,
} from './sealed-stores';
