// Finds English left in text meant to be in another language: runs of two or more English
// words in a row. What is not a sentence is taken out first, as a person reading Chinese would
// expect it untranslated: commands (`omicos cli login`), flags, variables (OMICOS_HOME), paths,
// addresses, emails, code in backquotes, pairing codes and the product's and protocols' names.

/** Words that stay as they are in any language: names of things, not English. */
const NAMES = new Set([
  'omicos',
  'omicOS',
  'JSON',
  'HTTP',
  'HTTPS',
  'TLS',
  'DNS',
  'CA',
  'QR',
  'RFC',
  'bash',
  'zsh',
  'fish',
  'shell',
  'conda',
  'stdout',
  'stderr',
  'MiB',
  'KiB',
  'Bearer',
  'pid',
  'http',
  'https',
  'localhost',
  'Ctrl',
  'UTC',
  'GMT',
  'omicOS',
  'bash-completion',
  'compinit',
  'printf',
])

const NOT_SENTENCES: RegExp[] = [
  /`[^`\n]*`/g, // code
  /\b[a-z][a-z+.-]*:\/\/\S+/gi, // addresses
  /\S+@\S+/g, // emails
  /(?:~|\.{1,2})?\/[^\s，。；：）（、]+/g, // paths
  /(?<![\w-])--?[a-z][\w-]*(?:=\S+)?/gi, // flags
  /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g, // variables
  /\b[A-Z]{4}-[A-Z]{4}\b/g, // pairing codes
  /<[a-z-]+>/g, // placeholders of a usage line: <command>, <server>
  /\bomicos(?: (?:cli|login|logout|status|completion|bash|zsh|fish))*/g, // commands
]

/** The runs of `least` (2) or more English words in `text`, each with the line it is in. */
export function englishSentences(text: string, least = 2): string[] {
  const found: string[] = []
  for (const line of text.split('\n')) {
    let rest = line
    for (const pattern of NOT_SENTENCES) rest = rest.replace(pattern, ' ')
    const run: string[] = []
    const flush = () => {
      if (run.length >= least) found.push(`${run.join(' ')}   <- ${line.trim()}`)
      run.length = 0
    }
    // A word of letters, maybe with an apostrophe or a hyphen (don't, sign-in); anything else
    // between two words but spaces and light punctuation ends a run.
    for (const token of rest.split(/(\s+|[,;:.!?()"]+\s*)/)) {
      if (!token || /^(\s+|[,;:.!?()"]+\s*)$/.test(token)) {
        if (token && /[.!?()"]/.test(token)) flush()
        continue
      }
      if (/^[A-Za-z]+(?:['’-][A-Za-z]+)*$/.test(token) && !NAMES.has(token)) run.push(token)
      else flush()
    }
    flush()
  }
  return found
}
