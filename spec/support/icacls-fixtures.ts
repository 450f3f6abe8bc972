// Output of Windows' `icacls <path>` and `whoami /user /fo csv /nh`, for the ACL specs.
//
// These are WRITTEN in the format those tools print on Windows 10 and 11 in English (path, then
// the first entry on the same line, the other entries aligned under it, a blank line, the
// summary; CRLF line ends), not captured from a machine: no Windows runs here, and Wine's icacls
// prints nothing at all. Replace them with captured output when a Windows machine runs the
// suite; the spec's assertions should not need to change.
const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`

export const WHOAMI_CSV = crlf(['"desktop-7q2lm4k\\ada","S-1-5-21-3623811015-3361044348-30300820-1013"'])
export const WHOAMI_DOMAIN_CSV = crlf(['"corp\\ada.lovelace","S-1-5-21-1004336348-1177238915-682003330-51234"'])
/** Wine 8's whoami ignores /user and /fo: the name alone. */
export const WHOAMI_WINE = crlf(['VM\\root'])

/** A `.omicos` folder just created under the profile: everything inherited from C:\Users\ada. */
export const ICACLS_NEW_HOME = crlf([
  'C:\\Users\\ada\\.omicos NT AUTHORITY\\SYSTEM:(I)(OI)(CI)(F)',
  '                     BUILTIN\\Administrators:(I)(OI)(CI)(F)',
  '                     DESKTOP-7Q2LM4K\\ada:(I)(OI)(CI)(F)',
  '',
  'Successfully processed 1 files; Failed processing 0 files',
])

/** The same folder after `icacls <it> /inheritance:r /grant:r *SID:(OI)(CI)F`. */
export const ICACLS_PRIVATE_HOME = crlf([
  'C:\\Users\\ada\\.omicos DESKTOP-7Q2LM4K\\ada:(OI)(CI)(F)',
  '',
  'Successfully processed 1 files; Failed processing 0 files',
])

/** A credential file made in that folder: it inherits the one entry. */
export const ICACLS_PRIVATE_FILE = crlf([
  'C:\\Users\\ada\\.omicos\\cloud_login.json DESKTOP-7Q2LM4K\\ada:(I)(F)',
  '',
  'Successfully processed 1 files; Failed processing 0 files',
])

/** A workspace file on a data drive, whose root grants Users read and Authenticated Users modify. */
export const ICACLS_WORKSPACE_FILE_OPEN = crlf([
  'D:\\work\\rna seq\\.omicos\\cloud_login.json BUILTIN\\Administrators:(I)(F)',
  '                                            NT AUTHORITY\\SYSTEM:(I)(F)',
  '                                            BUILTIN\\Users:(I)(RX)',
  '                                            NT AUTHORITY\\Authenticated Users:(I)(M)',
  '                                            DESKTOP-7Q2LM4K\\ada:(I)(F)',
  '',
  'Successfully processed 1 files; Failed processing 0 files',
])

/**
 * A folder on a file share (UNC path) with an explicit grant to a deleted account (icacls prints
 * its SID), a deny entry and an inherit-only entry for CREATOR OWNER.
 */
export const ICACLS_SHARE_DIR = crlf([
  '\\\\fs01\\home$\\ada.lovelace\\.omicos CORP\\ada.lovelace:(OI)(CI)(F)',
  '                                    S-1-5-21-1004336348-1177238915-682003330-61001:(R)',
  '                                    Everyone:(DENY)(W,D)',
  '                                    CREATOR OWNER:(OI)(CI)(IO)(F)',
  '',
  'Successfully processed 1 files; Failed processing 0 files',
])

/** A folder of the share whose only other entries are a deny and an inherit-only one. */
export const ICACLS_SHARE_DIR_PRIVATE = crlf([
  '\\\\fs01\\home$\\ada.lovelace\\.omicos CORP\\ada.lovelace:(OI)(CI)(F)',
  '                                    Everyone:(DENY)(W,D)',
  '                                    CREATOR OWNER:(OI)(CI)(IO)(F)',
  '',
  'Successfully processed 1 files; Failed processing 0 files',
])

/** An entry with a list of specific rights, and a user named by SID (whoami gave one). */
export const ICACLS_SPECIFIC_RIGHTS = crlf([
  'C:\\Users\\ada\\.omicos\\cloud_login.json S-1-5-21-3623811015-3361044348-30300820-1013:(F)',
  '                                       BUILTIN\\Backup Operators:(Rc,S,RD,REA,RA)',
  '',
  'Successfully processed 1 files; Failed processing 0 files',
])

/** icacls on a path it cannot open: exit 5, the error on the path's line, no entries. */
export const ICACLS_DENIED = crlf(['C:\\Users\\bob\\.omicos: Access is denied.', 'Successfully processed 0 files; Failed processing 1 files'])
