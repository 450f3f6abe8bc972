// The process ids a server registers (docs/server-contract.md, LoginInput.processId): the login
// machine refuses any other before it goes online, and a registration answer naming another is
// not used. One pattern for both, so they cannot drift apart.
const PROCESS_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export const isProcessId = (value: unknown): value is string => typeof value === 'string' && PROCESS_ID.test(value)
