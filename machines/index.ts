// The login lifecycles as pure logic, for the CLI and any other front end: provide the effects
// with `machine.provide({ actors })` and run the result with `createActor`.
export * from './contracts.js'
export * from './failure.js'
export { passwordLogin, passwordLoginDefaults, type PasswordLoginContext } from './password-login.machine.js'
export { deviceLogin, deviceLoginDefaults, type DeviceLoginContext } from './device-login.machine.js'
export { logout, logoutDefaults, type LogoutContext } from './logout.machine.js'
export { status, type StatusContext } from './status.machine.js'
