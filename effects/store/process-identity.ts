// Where a pid means something. A pid recorded by another process (in a lock, in a temp file's
// name) names the same process only on the same host, since the same boot, and in the same PID
// namespace: two containers given one hostname (Apptainer --containall, podman, docker) each
// have their own pid 7, and a pid from the other one looks dead, or alive as someone else.
// Where these cannot be read (not Linux), they are null on both sides and the host decides.
import { readFileSync, statSync } from 'node:fs'
import os from 'node:os'

export interface ProcessIdentity {
  host: string
  /** /proc/sys/kernel/random/boot_id: a pid of an earlier boot names nobody */
  boot: string | null
  /** the inode of /proc/self/ns/pid, which names the PID namespace */
  pidns: string | null
}

const attempt = (read: () => string): string | null => {
  try {
    return read() || null
  } catch {
    return null
  }
}

let local: ProcessIdentity | undefined

/** This process's identity, read once. */
export const localIdentity = (): ProcessIdentity =>
  (local ??= {
    host: os.hostname(),
    boot: attempt(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
    pidns: attempt(() => String(statSync('/proc/self/ns/pid').ino)),
  })

/** One string for the identity, for names that carry it hashed (temp files). */
export const identityKey = (identity: ProcessIdentity = localIdentity()): string => `${identity.host}\0${identity.boot ?? ''}\0${identity.pidns ?? ''}`

/**
 * Whether a pid recorded with `recorded` can be judged here (kill(pid, 0)). Missing fields
 * (a lock of an older omicos) count as unknown, and then only a platform without them judges.
 */
export const pidJudgeable = (recorded: Partial<ProcessIdentity>): boolean => {
  const here = localIdentity()
  return recorded.host === here.host && (recorded.boot ?? null) === here.boot && (recorded.pidns ?? null) === here.pidns
}
