// The login lifecycles as pure logic, for the CLI and any other front end: provide the effects
// with `machine.provide({ actors })` (the grants are child machines: provide theirs to them and
// pass them in, see `provideLogin`) and run the result with `createActor`.
export * from './contracts.js'
export * from './failure.js'
export { login, loginDefaults, provideLogin, provideDeviceLogin, type LoginContext, type LoginEffects, type DeviceLoginEffects } from './login.machine.js'
export { passwordGrant, passwordGrantDefaults, type PasswordGrantContext } from './password-grant.machine.js'
export { deviceGrant, deviceGrantDefaults, type DeviceGrantContext, type DeviceGrantEvent } from './device-grant.machine.js'
export { logout, logoutDefaults, type LogoutContext } from './logout.machine.js'
export { status, type StatusContext } from './status.machine.js'
export { redact, isSecretKey, REDACTED } from './redact.js'
export { secretSafeInspector, redactInspectionEvent, type SecretSafeOptions, type Inspector } from './inspection.js'
export { restoreLogin, canRestore, type RestoreOptions, type ResumableLogic } from './restore.js'
export { pairingViewOf } from './pairing-view.js'
