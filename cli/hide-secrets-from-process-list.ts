import { titleWithoutSecrets } from './process-title.js'

// Imported first by the `omicos` bin, so that the password leaves the process list before any
// other module is loaded, not after.
process.title = titleWithoutSecrets('omicos', process.argv.slice(2))
