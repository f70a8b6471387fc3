// Kamal's env file format (Kamal::EnvFile): one `KEY=value` line per secret, values escaped like Ruby's
// `String#dump` (docker reads the file literally, so what is written is what the container gets).

/** Ruby `value.dump[1..-2]` with `\"` → `"` and `\#` → `#`, non-ASCII kept raw (Kamal::EnvFile). */
export function dumpEnvValue(value: string): string {
  let out = ''
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (char === '\\') out += '\\\\'
    else if (char === '\n') out += '\\n'
    else if (char === '\t') out += '\\t'
    else if (char === '\r') out += '\\r'
    else if (char === '\f') out += '\\f'
    else if (char === '\v') out += '\\v'
    else if (char === '\b') out += '\\b'
    else if (char === '\x07') out += '\\a'
    else if (char === '\x1b') out += '\\e'
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`
    else out += char
  }
  return out
}
