// The login lifecycles as pure logic, for the CLI and any other front end: provide the effects
// with `machine.provide({ actors })` (the grants are child machines: provide theirs to them and
// pass them in, see `provideLogin`) and run the result with `createActor`.
export * from './shared.contract.js'
export * from './login.contract.js'
export * from './password-grant.contract.js'
export * from './device-grant.contract.js'
export * from './logout.contract.js'
export * from './status.contract.js'
export * from './failure.js'
export { loginMachine, loginDefaults, provideLogin, provideDeviceLogin, type LoginContext, type LoginEffects, type DeviceLoginEffects } from './login.machine.js'
export { passwordGrantMachine, passwordGrantDefaults, type PasswordGrantContext } from './password-grant.machine.js'
export { deviceGrantMachine, deviceGrantDefaults, type DeviceGrantContext, type DeviceGrantEvent } from './device-grant.machine.js'
export { logoutMachine, logoutDefaults, type LogoutContext } from './logout.machine.js'
export { statusMachine, type StatusContext } from './status.machine.js'
export { redact, isSecretKey, REDACTED } from './redact.js'
export { secretSafeInspector, redactInspectionEvent, type SecretSafeOptions, type Inspector } from './inspection.js'
export { restoreLogin, canRestore, type RestoreOptions, type ResumableLogic } from './restore.js'
export { pairingViewOf } from './pairing-view.js'
