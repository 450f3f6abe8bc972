#!/usr/bin/env node
// The bin npm links: a file that exists before the build, so a workspace install links it
// too; the command line itself is dist/main.js.
import '../dist/main.js'
