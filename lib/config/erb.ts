// A tiny ERB subset for deploy.yml, expanded before YAML parsing (as Kamal does with
// `ERB.new(src, trim_mode: "-").result`). Only environment look-ups are supported:
//
//   <%= ENV["X"] %>  <%= ENV['X'] %>         missing -> "" (Ruby nil.to_s)
//   <%= ENV.fetch("X") %>                    missing -> error (Ruby KeyError)
//   <%= ENV.fetch("X", "default") %>         missing -> "default"
//   <%# comment %>                           removed
//   <%%                                      a literal "<%"
//   ... -%>                                  also removes the newline right after the tag
//
// Every other tag is an error. Newlines are never added or removed, except by `-%>` trimming,
// so YAML error positions still point at the right line. Pure: no file system access.

export interface ErbProblem {
  line: number // 1-based
  col: number // 1-based
  message: string
}

export interface ErbResult {
  output: string
  problems: ErbProblem[]
}

const SUPPORTED = 'berth expands only ENV["X"] and ENV.fetch("X", "default")'

// ENV["X"] / ENV['X']
const ENV_INDEX = /^ENV\s*\[\s*(?:"([^"]*)"|'([^']*)')\s*\]$/
// ENV.fetch("X") / ENV.fetch("X", "default"), either quote style
const ENV_FETCH = /^ENV\.fetch\(\s*(?:"([^"]*)"|'([^']*)')\s*(?:,\s*(?:"([^"]*)"|'([^']*)')\s*)?\)$/

function lineCol(src: string, offset: number): { line: number; col: number } {
  let line = 1
  let lineStart = 0
  for (let i = src.indexOf('\n'); i !== -1 && i < offset; i = src.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return { line, col: offset - lineStart + 1 }
}

function shorten(tag: string): string {
  const oneLine = tag.replace(/\s+/g, ' ')
  return oneLine.length > 80 ? `${oneLine.slice(0, 76)} ...%>` : oneLine
}

/**
 * Expand the supported ERB tags in `src`. `env` is the environment the template sees (the caller
 * adds KAMAL_DESTINATION). Problems carry positions in `src`; the caller prefixes the file name.
 */
export function expandErb(src: string, env: Record<string, string | undefined>): ErbResult {
  const problems: ErbProblem[] = []
  let out = ''
  let pos = 0
  while (pos < src.length) {
    const start = src.indexOf('<%', pos)
    if (start === -1) {
      out += src.slice(pos)
      break
    }
    out += src.slice(pos, start)
    // `<%%` is ERB's escape for a literal `<%`
    if (src[start + 2] === '%') {
      out += '<%'
      pos = start + 3
      continue
    }
    const end = src.indexOf('%>', start + 2)
    if (end === -1) {
      const { line, col } = lineCol(src, start)
      problems.push({ line, col, message: 'unterminated ERB tag (no closing %>)' })
      out += src.slice(start)
      break
    }
    const tag = src.slice(start, end + 2)
    let inner = src.slice(start + 2, end)
    let trim = false
    if (inner.endsWith('-')) {
      trim = true
      inner = inner.slice(0, -1)
    }
    pos = end + 2
    if (trim) {
      // trim_mode "-": `-%>` swallows the line break that directly follows it
      if (src.startsWith('\r\n', pos)) pos += 2
      else if (src[pos] === '\n') pos += 1
    }

    if (inner.startsWith('#')) {
      // comment; keep its line breaks so later positions stay right
      out += inner.replace(/[^\n]/g, '')
      continue
    }

    const bad = (message: string) => {
      const { line, col } = lineCol(src, start)
      problems.push({ line, col, message })
      // keep the line structure intact for any later YAML diagnostics
      out += tag.replace(/[^\n]/g, '')
    }

    if (!inner.startsWith('=')) {
      bad(`unsupported ERB ${shorten(tag)}; ${SUPPORTED}`)
      continue
    }
    const expr = inner.slice(1).trim()
    let m = ENV_INDEX.exec(expr)
    if (m) {
      const name = (m[1] ?? m[2]) as string
      out += env[name] ?? ''
      continue
    }
    m = ENV_FETCH.exec(expr)
    if (m) {
      const name = (m[1] ?? m[2]) as string
      const fallback = m[3] ?? m[4]
      const value = env[name]
      if (value !== undefined) out += value
      else if (fallback !== undefined) out += fallback
      else bad(`ENV.fetch("${name}"): environment variable ${name} is not set (key not found)`)
      continue
    }
    bad(`unsupported ERB ${shorten(tag)}; ${SUPPORTED}`)
  }
  return { output: out, problems }
}
