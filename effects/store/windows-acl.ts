// What stands for modes 0600 and 0700 on Windows: an access control list that names the current
// user alone, with inheritance removed, so nothing granted on a parent folder (Users,
// Authenticated Users, a domain group) reaches the credentials. Pure functions only: the
// arguments of the two system tools the store runs (whoami, icacls) and the reading of what they
// print. platform.ts runs them.
//
// icacls, not an ACL API: Node has none, and icacls ships with every Windows since Vista. It names
// principals by account name in the system's language ("BUILTIN\Users", "VORDEFINIERT\Benutzer")
// and prints in the console's code page, so the reading compares only the current user's own name
// and SID, and never depends on the names of others: anyone else with an allowing entry is
// "others", as a group or other bit is on POSIX.

/** The current user as `whoami /user /fo csv /nh` tells it. */
export interface WindowsUser {
  /** `DOMAIN\user`, as icacls prints it (case aside) */
  name: string
  /** `S-1-5-21-…`, or null where whoami gives none (Wine's whoami prints the name alone) */
  sid: string | null
}

export const WHOAMI_ARGS = ['/user', '/fo', 'csv', '/nh']

/** The user in whoami's answer, or null when it names none. */
export const parseWhoami = (text: string): WindowsUser | null => {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0)
  if (!line) return null
  const csv = /^"([^"]+)","(S-1-[0-9-]+)"$/.exec(line)
  if (csv) return { name: csv[1]!, sid: csv[2]! }
  // Not the CSV form: a bare `DOMAIN\user` (Wine) still names the user for icacls.
  return /^[^"\s,][^",]*$/.test(line) ? { name: line, sid: null } : null
}

/** How icacls is told who: `*SID` (no name lookup, no language), else the account name. */
export const trusteeOf = (user: WindowsUser): string => (user.sid ? `*${user.sid}` : user.name)

/**
 * The icacls arguments that leave `target` readable and writable by `user` alone: inherited
 * entries removed (`/inheritance:r`) and the user's explicit grant replaced by full control
 * (`/grant:r`). A folder's grant is inherited by what is created in it (`(OI)(CI)`), so a temp
 * file made there is private from its first byte.
 */
export const privateAclArgs = (target: string, kind: 'dir' | 'file', user: WindowsUser): string[] => [
  target,
  '/inheritance:r',
  '/grant:r',
  `${trusteeOf(user)}:${kind === 'dir' ? '(OI)(CI)' : ''}F`,
]

/** One entry of an ACL as icacls prints it: `NAME:(I)(OI)(CI)(RX)`. */
export interface AclEntry {
  principal: string
  /** inherited from a parent: `(I)` */
  inherited: boolean
  /** applies to children only, not to the object itself: `(IO)` */
  inheritOnly: boolean
  deny: boolean
  /** what is granted or denied: `F`, `M`, `RX`, `R`, `W`, `N`, or a list such as `RD,WD` */
  rights: string
}

const FLAGS = new Set(['I', 'OI', 'CI', 'IO', 'NP', 'DENY'])
const ENTRY = /^(.+?):((?:\([^()]*\))+)$/

const parseEntry = (text: string): AclEntry | null => {
  const match = ENTRY.exec(text.trim())
  if (!match) return null
  const parts = [...match[2]!.matchAll(/\(([^()]*)\)/g)].map((m) => m[1]!)
  const rights = parts.filter((p) => !FLAGS.has(p))
  return {
    principal: match[1]!,
    inherited: parts.includes('I'),
    inheritOnly: parts.includes('IO'),
    deny: parts.includes('DENY'),
    rights: rights.join(',') || 'N',
  }
}

/**
 * The ACL of `target` in `icacls <target>`'s output, or null when the output holds none (Wine's
 * icacls is a stub that prints nothing; a FAT volume has no ACL). icacls prints the path as it
 * was given, then the first entry on the same line, then one entry a line indented under it,
 * then a blank line and a summary.
 */
export const parseIcacls = (text: string, target: string): AclEntry[] | null => {
  const lines = text.split(/\r?\n/)
  const lower = target.toLowerCase()
  const first = lines.findIndex((l) => l.toLowerCase().startsWith(`${lower} `))
  if (first < 0) return null
  const entries: AclEntry[] = []
  const head = parseEntry(lines[first]!.slice(target.length + 1))
  if (!head) return null
  entries.push(head)
  for (const line of lines.slice(first + 1)) {
    if (!/^\s+\S/.test(line)) break
    const entry = parseEntry(line)
    if (!entry) break
    entries.push(entry)
  }
  return entries
}

const same = (a: string, b: string) => a.localeCompare(b, 'en', { sensitivity: 'accent' }) === 0

/**
 * The principals other than `user` that an ACL lets in: every allowing entry that applies to the
 * object itself (not inherit-only) and grants anything (not `N`). Empty means private.
 */
export const othersAllowed = (entries: AclEntry[], user: WindowsUser): string[] => {
  const others = entries.filter((e) => !e.deny && !e.inheritOnly && e.rights !== 'N' && !same(e.principal, user.name) && !(user.sid && same(e.principal, user.sid)))
  return [...new Set(others.map((e) => e.principal))]
}

/**
 * A path or argument as PowerShell and cmd both take it: double quotes when it needs any (a
 * space, or the parentheses of `(OI)(CI)F`, which PowerShell would run as a subexpression).
 */
export const windowsQuoted = (text: string) => (/^[\w.:\\/~@+*-]+$/.test(text) ? text : `"${text}"`)

/** The command a message suggests to make `target` private by hand (what the store runs). */
export const privateAclCommand = (target: string, kind: 'dir' | 'file', user: WindowsUser): string =>
  ['icacls', ...privateAclArgs(target, kind, user)].map(windowsQuoted).join(' ')
