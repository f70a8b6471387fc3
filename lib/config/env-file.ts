// Kamal's env file format (Kamal::EnvFile): one `KEY=value` line per secret, values escaped like Ruby's
// `String#dump` (docker reads the file literally, so what is written is what the container gets).

/** How Ruby's String#dump and #inspect write a backslash and the control characters they name. */
export const RUBY_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
  '\f': '\\f',
  '\v': '\\v',
  '\b': '\\b',
  '\x07': '\\a',
  '\x1b': '\\e',
}

/** Ruby `value.dump[1..-2]` with `\"` → `"` and `\#` → `#`, non-ASCII kept raw (Kamal::EnvFile). */
export function dumpEnvValue(value: string): string {
  let out = ''
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (RUBY_ESCAPES[char]) out += RUBY_ESCAPES[char]
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`
    else out += char
  }
  return out
}
