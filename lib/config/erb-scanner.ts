// An ERB template split into text and tags (ERB's trim mode "-", `<%%` escapes), and where a YAML template's
// comments are, so tags inside them are left out. Pure.
import { Parser } from 'yaml'

/** 1-based line and column of an offset in `text`. */
export function lineColOf(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0]
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return (offset) => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] as number) <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, col: offset - (starts[lo] as number) + 1 }
  }
}

export interface Tag {
  start: number
  end: number
  kind: 'output' | 'code' | 'comment'
  code: string
  /** `-%>` followed by a newline: the newline is dropped. */
  trimNewline: boolean
  /** `<%-` with only blanks before it on its line: those blanks are dropped. */
  trimIndent: number
}

export type Piece = { text: string; at: number } | { tag: Tag }

/** A tag as quoted in a message: on one line, cut short. */
export function shorten(tag: string): string {
  const oneLine = tag.replace(/\s+/g, ' ')
  return oneLine.length > 80 ? `${oneLine.slice(0, 76)} ...%>` : oneLine
}

/** Splits a template into text and tags; an unterminated tag is a problem and the rest stays text. */
export function scan(src: string, problem: (offset: number, message: string) => void): Piece[] {
  const pieces: Piece[] = []
  let pos = 0
  let text = ''
  let textAt = 0
  const flush = () => {
    if (text) pieces.push({ text, at: textAt })
    text = ''
  }
  while (pos < src.length) {
    const start = src.indexOf('<%', pos)
    if (!text) textAt = pos
    if (start === -1) {
      text += src.slice(pos)
      break
    }
    text += src.slice(pos, start)
    if (src[start + 2] === '%') {
      // `<%%` is ERB's escape for a literal `<%`
      text += '<%'
      pos = start + 3
      continue
    }
    const close = src.indexOf('%>', start + 2)
    if (close === -1) {
      problem(start, 'unterminated ERB tag (no closing %>)')
      text += src.slice(start)
      break
    }
    const tag = readTag(src, start, close)
    if (tag.trimIndent) text = text.slice(0, text.length - tag.trimIndent)
    flush()
    pieces.push({ tag })
    pos = tag.end + (tag.trimNewline ? 1 : 0)
  }
  flush()
  return pieces
}

/** The tag from `<%` at `start` to `%>` at `close`: its kind, its code, and what trim mode "-" drops around it. */
function readTag(src: string, start: number, close: number): Tag {
  let inner = src.slice(start + 2, close)
  let trimIndent = 0
  if (inner.startsWith('-')) {
    inner = inner.slice(1)
    const lineStart = src.lastIndexOf('\n', start - 1) + 1
    if (/^[ \t]*$/.test(src.slice(lineStart, start))) trimIndent = start - lineStart
  }
  let trimNewline = false
  if (inner.endsWith('-') && src[close + 2] === '\n') {
    inner = inner.slice(0, -1)
    trimNewline = true
  } else if (inner.endsWith('-')) {
    inner = inner.slice(0, -1)
  }
  const kind = inner.startsWith('=') ? 'output' : inner.startsWith('#') ? 'comment' : 'code'
  return { start, end: close + 2, kind, code: kind === 'code' ? inner : inner.slice(1), trimNewline, trimIndent }
}

/** Where YAML comments are, lexed with every tag blanked out (output tags as `x`, others as spaces). */
export function yamlComments(src: string, pieces: Piece[]): Array<[number, number]> {
  let blank = src
  for (const piece of pieces) {
    if (!('tag' in piece)) continue
    const { start, end, kind } = piece.tag
    const fill = src.slice(start, end).replace(/[^\n]/g, kind === 'output' ? 'x' : ' ')
    blank = blank.slice(0, start) + fill + blank.slice(end)
  }
  const ranges: Array<[number, number]> = []
  // an explicit stack, not recursion: the text may nest 5000 `[` (depth.ts refuses it after ERB)
  const stack: unknown[] = Array.from(new Parser().parse(blank))
  while (stack.length) {
    const node = stack.pop()
    if (Array.isArray(node)) for (const item of node) stack.push(item)
    else if (node && typeof node === 'object') {
      const t = node as { type?: string; offset?: number; source?: string }
      if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string')
        ranges.push([t.offset, t.offset + t.source.length])
      for (const value of Object.values(node)) if (value && typeof value === 'object') stack.push(value)
    }
  }
  return ranges
}
