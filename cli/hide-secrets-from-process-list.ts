import { titleWithoutSecrets } from './process-title.js'

// Imported first by the `omicos` bin, so that the password leaves the process list before any
// other module is loaded, not after. On Windows `process.title` sets the console window's title
// and leaves the command line as it is, so there it would only rename the user's window.
if (process.platform !== 'win32') process.title = titleWithoutSecrets('omicos', process.argv.slice(2))
