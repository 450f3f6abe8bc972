// One credential file as read from disk: checked (private-file.ts), parsed (credential-file.ts),
// its secrets held so no server text can show them, and its exact bytes kept to compare.
import { parseCredentialFile, type CredentialFile } from './credential-file.js'
import { holdSecrets } from '../client/held-secrets.js'
import { readPrivateText } from './private-file.js'

export interface StoredCredentials {
  credentials: CredentialFile
  path: string
  /** the exact bytes read, to tell identical twins apart from look-alikes */
  text: string
}

/** Reads and checks the credential file at `file` (see readPrivateText): null when there is none. */
export const readCredentialFile = async (file: string): Promise<StoredCredentials | null> => {
  const text = await readPrivateText(file)
  if (text === null) return null
  const credentials = parseCredentialFile(text, file)
  // Held from here on, so no text a server sends can show them (effects/client/held-secrets.ts).
  holdSecrets(credentials.user_token, credentials.refresh_token, credentials.process_token)
  return { credentials, path: file, text }
}

/** The tokens a credential file holds. */
export const tokensOf = (file: CredentialFile) => [file.refresh_token, file.user_token, file.process_token].filter((t): t is string => Boolean(t))
