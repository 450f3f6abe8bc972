// The platform seam's rules for Linux, macOS and Windows, checked on Linux: which open flags each
// uses, the ACL that stands for 0600/0700 on Windows (the icacls arguments, and the reading of
// what icacls prints: see support/icacls-fixtures.ts for where that output comes from), and the
// path rules (roots, final paths).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import path from 'node:path'
import { aclPrivacy, ancestorsOf, isFinalPathOf, isHeldOpen, modePrivacy, openFlagsFor, platformOf } from '../../../effects/store/platform.js'
import { othersAllowed, parseIcacls, parseWhoami, privateAclArgs, privateAclCommand, trusteeOf, windowsQuoted } from '../../../effects/store/windows-acl.js'
import * as F from '../../support/icacls-fixtures.js'
import { engineError } from '../../../effects/client/engine-error.js'
import { wordsOf } from '../../support/failure-words.js'

// fs.constants as each platform's Node defines them (Linux and macOS from their <fcntl.h>;
// Windows from libuv's win/fs.c, which defines no O_NOFOLLOW, O_DIRECTORY or O_NONBLOCK).
const LINUX = { O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_NONBLOCK: 0o4000, O_DIRECTORY: 0o200000, O_NOFOLLOW: 0o400000 }
const MACOS = { O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0x200, O_EXCL: 0x800, O_NONBLOCK: 0x4, O_DIRECTORY: 0x100000, O_NOFOLLOW: 0x100 }
const WINDOWS = { O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0x100, O_EXCL: 0x400 }

const ADA = { name: 'desktop-7q2lm4k\\ada', sid: 'S-1-5-21-3623811015-3361044348-30300820-1013' }
const ADA_CORP = { name: 'corp\\ada.lovelace', sid: 'S-1-5-21-1004336348-1177238915-682003330-51234' }

test('Linux and macOS are POSIX, Windows is not', () => {
  assert.is(platformOf('linux'), 'posix')
  assert.is(platformOf('darwin'), 'posix')
  assert.is(platformOf('win32'), 'windows')
})

test("POSIX opens refuse links and never wait, with each platform's own flag values", () => {
  for (const c of [LINUX, MACOS]) {
    const flags = openFlagsFor('posix', c)
    assert.is(flags.dir, c.O_RDONLY | c.O_DIRECTORY | c.O_NOFOLLOW | c.O_NONBLOCK)
    assert.is(flags.read, c.O_RDONLY | c.O_NOFOLLOW | c.O_NONBLOCK)
    assert.is(flags.create, c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW)
    assert.is(flags.createReadWrite, c.O_RDWR | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW)
  }
})

test('a POSIX platform without O_NOFOLLOW is refused, not opened with the flag silently dropped', () => {
  const { O_NOFOLLOW: _, ...noNofollow } = LINUX
  assert.throws(() => openFlagsFor('posix', noNofollow), /O_NOFOLLOW is missing/)
})

test('Windows opens use only the flags Windows has, and creation stays exclusive', () => {
  const flags = openFlagsFor('windows', WINDOWS)
  assert.equal(flags, { dir: 0, read: 0, create: 1 | 0x100 | 0x400, createReadWrite: 2 | 0x100 | 0x400 })
  // The Linux values would not leak into a Windows open either.
  assert.equal(openFlagsFor('windows', LINUX), { dir: 0, read: 0, create: 1 | 0o100 | 0o200, createReadWrite: 2 | 0o100 | 0o200 })
})

test('POSIX privacy: any group or other bit is too wide, and the fix is the chmod of the kind', () => {
  const q = (p: string) => `'${p}'`
  assert.is(modePrivacy('/h/.omicos/cloud_login.json', 'file', 0o100600, q), null)
  assert.is(modePrivacy('/h/.omicos', 'dir', 0o40700, q), null)
  const open = modePrivacy('/h/.omicos/cloud_login.json', 'file', 0o100644, q)
  assert.equal(open, { mode: '0644', wanted: '0600', fix: "chmod 600 '/h/.omicos/cloud_login.json'" })
  assert.equal(modePrivacy('/h/.omicos', 'dir', 0o40701, q), { mode: '0701', wanted: '0700', fix: "chmod 700 '/h/.omicos'" })
  assert.is(
    wordsOf(engineError('fileUnsafe', { path: '/h/.omicos/cloud_login.json', problem: 'notPrivate', ...open! })),
    "/h/.omicos/cloud_login.json has permissions 0644, wider than 0600: run chmod 600 '/h/.omicos/cloud_login.json' (its tokens may have been read by others)",
  )
})

test("whoami: the CSV line gives name and SID; Wine's bare name gives the name alone", () => {
  assert.equal(parseWhoami(F.WHOAMI_CSV), ADA)
  assert.equal(parseWhoami(F.WHOAMI_DOMAIN_CSV), ADA_CORP)
  assert.equal(parseWhoami(F.WHOAMI_WINE), { name: 'VM\\root', sid: null })
  assert.is(parseWhoami(''), null)
  assert.is(parseWhoami('"a","b",'), null)
})

test('the private ACL: inheritance removed, the user alone by SID, inherited by what a folder holds', () => {
  assert.equal(privateAclArgs('C:\\Users\\ada\\.omicos', 'dir', ADA), [
    'C:\\Users\\ada\\.omicos',
    '/inheritance:r',
    '/grant:r',
    '*S-1-5-21-3623811015-3361044348-30300820-1013:(OI)(CI)F',
  ])
  assert.equal(privateAclArgs('C:\\Users\\ada\\.omicos\\.cloud_login.json.77.tmp', 'file', ADA), [
    'C:\\Users\\ada\\.omicos\\.cloud_login.json.77.tmp',
    '/inheritance:r',
    '/grant:r',
    '*S-1-5-21-3623811015-3361044348-30300820-1013:F',
  ])
  // Without a SID (Wine), the account name.
  assert.is(trusteeOf({ name: 'VM\\root', sid: null }), 'VM\\root')
  assert.equal(privateAclArgs('Z:\\tmp\\h', 'dir', { name: 'VM\\root', sid: null }).at(-1), 'VM\\root:(OI)(CI)F')
})

test('the command a message suggests is quoted for PowerShell and cmd (spaces, parentheses)', () => {
  assert.is(
    privateAclCommand('D:\\work\\rna seq\\.omicos\\cloud_login.json', 'file', ADA),
    'icacls "D:\\work\\rna seq\\.omicos\\cloud_login.json" /inheritance:r /grant:r *S-1-5-21-3623811015-3361044348-30300820-1013:F',
  )
  assert.is(
    privateAclCommand('C:\\Users\\ada\\.omicos', 'dir', ADA),
    'icacls C:\\Users\\ada\\.omicos /inheritance:r /grant:r "*S-1-5-21-3623811015-3361044348-30300820-1013:(OI)(CI)F"',
  )
  assert.is(windowsQuoted('\\\\fs01\\home$\\x'), '"\\\\fs01\\home$\\x"')
})

test('icacls output: every entry of the path, with its inheritance, deny and rights', () => {
  assert.equal(parseIcacls(F.ICACLS_NEW_HOME, 'C:\\Users\\ada\\.omicos'), [
    { principal: 'NT AUTHORITY\\SYSTEM', inherited: true, inheritOnly: false, deny: false, rights: 'F' },
    { principal: 'BUILTIN\\Administrators', inherited: true, inheritOnly: false, deny: false, rights: 'F' },
    { principal: 'DESKTOP-7Q2LM4K\\ada', inherited: true, inheritOnly: false, deny: false, rights: 'F' },
  ])
  assert.equal(parseIcacls(F.ICACLS_SHARE_DIR, '\\\\fs01\\home$\\ada.lovelace\\.omicos'), [
    { principal: 'CORP\\ada.lovelace', inherited: false, inheritOnly: false, deny: false, rights: 'F' },
    { principal: 'S-1-5-21-1004336348-1177238915-682003330-61001', inherited: false, inheritOnly: false, deny: false, rights: 'R' },
    { principal: 'Everyone', inherited: false, inheritOnly: false, deny: true, rights: 'W,D' },
    { principal: 'CREATOR OWNER', inherited: false, inheritOnly: true, deny: false, rights: 'F' },
  ])
  const spaced = parseIcacls(F.ICACLS_WORKSPACE_FILE_OPEN, 'D:\\work\\rna seq\\.omicos\\cloud_login.json')
  assert.equal(
    spaced?.map((e) => `${e.principal}=${e.rights}`),
    ['BUILTIN\\Administrators=F', 'NT AUTHORITY\\SYSTEM=F', 'BUILTIN\\Users=RX', 'NT AUTHORITY\\Authenticated Users=M', 'DESKTOP-7Q2LM4K\\ada=F'],
  )
  assert.equal(parseIcacls(F.ICACLS_SPECIFIC_RIGHTS, 'C:\\Users\\ada\\.omicos\\cloud_login.json')?.[1]?.rights, 'Rc,S,RD,REA,RA')
  // The path matches without case, as icacls and NTFS take it.
  assert.is(parseIcacls(F.ICACLS_PRIVATE_HOME, 'c:\\users\\ADA\\.omicos')?.length, 1)
})

test("icacls output without the path's entries reads as no ACL (Wine's stub, a refused path)", () => {
  assert.is(parseIcacls('', 'Z:\\tmp\\h'), null)
  assert.is(parseIcacls(F.ICACLS_DENIED, 'C:\\Users\\bob\\.omicos'), null)
  // Another path's output is not this one's.
  assert.is(parseIcacls(F.ICACLS_PRIVATE_HOME, 'C:\\Users\\ada\\.omicos\\cloud_login.json'), null)
})

test('private means no allowing entry for anyone else; deny and inherit-only entries do not count', () => {
  const read = (text: string, p: string) => parseIcacls(text, p)!
  assert.equal(othersAllowed(read(F.ICACLS_NEW_HOME, 'C:\\Users\\ada\\.omicos'), ADA), ['NT AUTHORITY\\SYSTEM', 'BUILTIN\\Administrators'])
  assert.equal(othersAllowed(read(F.ICACLS_PRIVATE_HOME, 'C:\\Users\\ada\\.omicos'), ADA), [])
  assert.equal(othersAllowed(read(F.ICACLS_PRIVATE_FILE, 'C:\\Users\\ada\\.omicos\\cloud_login.json'), ADA), [])
  assert.equal(othersAllowed(read(F.ICACLS_SHARE_DIR, '\\\\fs01\\home$\\ada.lovelace\\.omicos'), ADA_CORP), ['S-1-5-21-1004336348-1177238915-682003330-61001'])
  assert.equal(othersAllowed(read(F.ICACLS_SHARE_DIR_PRIVATE, '\\\\fs01\\home$\\ada.lovelace\\.omicos'), ADA_CORP), [])
  // The user named by SID is the user; a backup group that may read is someone else.
  assert.equal(othersAllowed(read(F.ICACLS_SPECIFIC_RIGHTS, 'C:\\Users\\ada\\.omicos\\cloud_login.json'), ADA), ['BUILTIN\\Backup Operators'])
  // Another user of the same machine is someone else.
  assert.equal(othersAllowed(read(F.ICACLS_PRIVATE_HOME, 'C:\\Users\\ada\\.omicos'), { name: 'DESKTOP-7Q2LM4K\\bob', sid: null }), ['DESKTOP-7Q2LM4K\\ada'])
})

test('a credential file open to others is reported as a 0644 file is on POSIX: what, and the fix', () => {
  const file = 'D:\\work\\rna seq\\.omicos\\cloud_login.json'
  const open = aclPrivacy(file, 'file', parseIcacls(F.ICACLS_WORKSPACE_FILE_OPEN, file), ADA)
  assert.equal(open, {
    others: ['BUILTIN\\Administrators', 'NT AUTHORITY\\SYSTEM', 'BUILTIN\\Users', 'NT AUTHORITY\\Authenticated Users'],
    fix: 'icacls "D:\\work\\rna seq\\.omicos\\cloud_login.json" /inheritance:r /grant:r *S-1-5-21-3623811015-3361044348-30300820-1013:F',
  })
  assert.is(
    wordsOf(engineError('fileUnsafe', { path: file, problem: 'notPrivate', ...open! })),
    `${file} is open to others (BUILTIN\\Administrators, NT AUTHORITY\\SYSTEM, BUILTIN\\Users, NT AUTHORITY\\Authenticated Users), not to you alone: run ${open!.fix} (its tokens may have been read by others)`,
  )
  assert.is(aclPrivacy('C:\\Users\\ada\\.omicos', 'dir', parseIcacls(F.ICACLS_PRIVATE_HOME, 'C:\\Users\\ada\\.omicos'), ADA), null)
  // No ACL printed: nothing to judge (Wine, FAT).
  assert.is(aclPrivacy(file, 'file', null, ADA), null)
})

test('workspace search climbs to the root of each platform: /, a drive, a share', () => {
  assert.equal(ancestorsOf('/home/ada/proj/src', path.posix), ['/home/ada/proj/src', '/home/ada/proj', '/home/ada', '/home', '/'])
  assert.equal(ancestorsOf('C:\\Users\\ada\\proj', path.win32), ['C:\\Users\\ada\\proj', 'C:\\Users\\ada', 'C:\\Users', 'C:\\'])
  assert.equal(ancestorsOf('d:\\work', path.win32), ['d:\\work', 'd:\\'])
  assert.equal(ancestorsOf('\\\\fs01\\home$\\ada\\proj', path.win32), ['\\\\fs01\\home$\\ada\\proj', '\\\\fs01\\home$\\ada', '\\\\fs01\\home$\\'])
})

test("final paths: a name is itself when its real path is its folder's plus its name (case aside on Windows)", () => {
  assert.ok(isFinalPathOf('windows', 'C:\\Users\\Ada\\.omicos\\cloud_login.json', 'c:\\users\\ada\\.omicos', 'cloud_login.json'))
  assert.ok(isFinalPathOf('windows', '\\\\fs01\\home$\\ada\\.omicos', '\\\\fs01\\home$\\ada', '.omicos'))
  // A link (or junction) resolves to its target's name.
  assert.not.ok(isFinalPathOf('windows', 'C:\\Users\\ada\\secrets\\real.json', 'C:\\Users\\ada\\.omicos', 'cloud_login.json'))
  assert.not.ok(isFinalPathOf('windows', 'E:\\omicos', 'C:\\Users\\ada', '.omicos'))
  // POSIX names keep their case.
  assert.ok(isFinalPathOf('posix', '/home/ada/.omicos/cloud_login.json', '/home/ada/.omicos', 'cloud_login.json'))
  assert.not.ok(isFinalPathOf('posix', '/home/ada/.omicos/Cloud_login.json', '/home/ada/.omicos', 'cloud_login.json'))
})

test('a rename refused by an open file is retried on Windows only', () => {
  for (const code of ['EPERM', 'EBUSY', 'EACCES']) {
    assert.ok(isHeldOpen('windows', Object.assign(new Error(code), { code })))
    assert.not.ok(isHeldOpen('posix', Object.assign(new Error(code), { code })))
  }
  assert.not.ok(isHeldOpen('windows', Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' })))
  assert.not.ok(isHeldOpen('windows', undefined))
})

test.run()
