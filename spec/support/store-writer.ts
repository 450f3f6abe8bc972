// Child process for the credential store specs: writes one login's credentials and prints
// `ok <paths>` or `error <kind> <message>`. Arguments: home cwd accountId [workspaceOnly] [size]
// (`size` characters more in the file, carried by the process name: no token may pass 4096).
import { persistCredentials } from '../../effects/store/index.js'
import { EngineError } from '../../effects/client/engine-error.js'
import { fakeCredentials } from './effects.js'
import { wordsOf } from './failure-words.js'

const [home, cwd, accountId, workspaceOnly = 'false', tokenSize = '0'] = process.argv.slice(2)
const size = Number(tokenSize)
const file = fakeCredentials(accountId)
if (size) file.process_name = 'p'.repeat(size)
try {
  const paths = await persistCredentials({ home, cwd, env: {}, workspaceOnly: workspaceOnly === 'true', lock: { waitMs: 15_000 } }, file)
  process.stdout.write(`ok ${paths.join(' ')}\n`)
} catch (error) {
  if (error instanceof EngineError) process.stdout.write(`error ${error.kind} ${wordsOf(error)}\n`)
  else process.stdout.write(`error crash ${String(error)}\n`)
  process.exitCode = 1
}
