// What the engine asks a server for when a front end does not say otherwise: the public client
// the reference server and auth.omicos.cn register for device and password logins, and the
// scopes of a login (`offline_access` for the refresh token that renews it).

/** The OAuth client id of omicOS logins (a public client: no secret). */
export const CLIENT_ID = 'omicos-cli'

/** The scopes a login asks for. */
export const DEFAULT_SCOPE = 'openid email offline_access'
