// Reads Kamal's own command test (test/fixtures/kamal/accessory_test.rb) as data: its config hash, its
// secrets, and per test the config changes, the expected command line and the call that builds it. Only
// the Ruby that file uses is understood (hash and array literals, strings, symbols, `a => b`, `key:`);
// anything else throws, so a newer Kamal test that needs more is noticed, never misread.

export interface KamalCall {
  /** `new_command(:mysql)` */
  accessory: string
  /** `run`, `logs`, `execute_in_new_container`... */
  method: string
  /** Positional arguments (strings) and keyword arguments. */
  args: string[]
  kwargs: Record<string, unknown>
}

interface KamalAssertion {
  expected: string
  call: KamalCall
  /** `assert_match` (a pattern) rather than `assert_equal`. */
  match: boolean
}

export interface KamalTest {
  name: string
  /** `@config[:a]["b"] = value` lines, in order. */
  changes: Array<{ path: string[]; value: unknown }>
  assertions: KamalAssertion[]
}

/** A Ruby literal (strings, symbols, hashes with `=>` or `key:`, arrays, integers, true/false/nil) as JSON data. */
function rubyLiteral(src: string): unknown {
  let i = 0
  const ws = () => {
    while (i < src.length && /[\s\\]/.test(src[i]!)) i++
  }
  const string = (): string => {
    const quote = src[i++]
    let out = ''
    while (src[i] !== quote) {
      if (i >= src.length) throw new Error('unterminated string')
      if (src[i] === '\\') {
        const c = src[i + 1]!
        out +=
          quote === "'"
            ? c === "'" || c === '\\'
              ? c
              : `\\${c}`
            : (({ n: '\n', t: '\t' } as Record<string, string>)[c] ?? c)
        i += 2
      } else out += src[i++]
    }
    i++
    if (quote === '"' && out.includes('#{')) throw new Error('string interpolation is not understood')
    return out
  }
  const value = (): unknown => {
    ws()
    const c = src[i]
    if (c === '"' || c === "'") return string()
    if (c === ':') {
      i++
      const m = /^\w+/.exec(src.slice(i))!
      i += m[0].length
      return m[0]
    }
    if (c === '[') {
      i++
      const list: unknown[] = []
      for (ws(); src[i] !== ']'; ws()) {
        list.push(value())
        ws()
        if (src[i] === ',') i++
        ws()
      }
      i++
      return list
    }
    if (c === '{') {
      i++
      const hash: Record<string, unknown> = {}
      for (ws(); src[i] !== '}'; ws()) {
        const label = /^(\w+):(?!:)/.exec(src.slice(i))
        let key: string
        if (label) {
          key = label[1]!
          i += label[0].length
        } else {
          key = String(value())
          ws()
          if (!src.startsWith('=>', i)) throw new Error(`expected => at ${src.slice(i, i + 20)}`)
          i += 2
        }
        hash[key] = value()
        ws()
        if (src[i] === ',') i++
      }
      i++
      return hash
    }
    const word = /^(-?\d+|true|false|nil)/.exec(src.slice(i))
    if (word) {
      i += word[0].length
      return word[0] === 'nil' ? null : word[0] === 'true' ? true : word[0] === 'false' ? false : Number(word[0])
    }
    throw new Error(`not a literal understood here: ${src.slice(i, i + 30)}`)
  }
  const result = value()
  ws()
  if (i < src.length) throw new Error(`trailing text: ${src.slice(i, i + 30)}`)
  return result
}

/** The balanced `{...}`/`(...)` starting at `open` (strings skipped). */
function balanced(src: string, open: number): string {
  const pairs: Record<string, string> = { '{': '}', '(': ')', '[': ']' }
  const stack: string[] = []
  for (let i = open; i < src.length; i++) {
    const c = src[i]!
    if (c === '"' || c === "'") {
      for (i++; src[i] !== c; i++) if (src[i] === '\\') i++
    } else if (pairs[c]) stack.push(pairs[c]!)
    else if (c === stack[stack.length - 1]) {
      stack.pop()
      if (stack.length === 0) return src.slice(open, i + 1)
    }
  }
  throw new Error('unbalanced')
}

function parseCall(text: string): KamalCall {
  const m = /^new_command\(:(\w+)\)\.(\w+)/.exec(text.trim())
  if (!m) throw new Error(`not a new_command call: ${text}`)
  const rest = text.trim().slice(m[0].length)
  const args: string[] = []
  let kwargs: Record<string, unknown> = {}
  if (rest.startsWith('(')) {
    const inner = balanced(rest, 0).slice(1, -1)
    if (/^\s*\w+:/.test(inner)) kwargs = rubyLiteral(`{${inner}}`) as Record<string, unknown>
    else if (inner.trim()) args.push(...(rubyLiteral(`[${inner}]`) as string[]))
  }
  return { accessory: m[1]!, method: m[2]!, args, kwargs }
}

export function parseAccessoryTest(src: string): {
  config: Record<string, unknown>
  secrets: Record<string, string>
  tests: KamalTest[]
} {
  const configAt = src.indexOf('@config = {')
  const config = rubyLiteral(balanced(src, src.indexOf('{', configAt))) as Record<string, unknown>
  const secretsCall = /setup_test_secrets\(([^)]*)\)/.exec(src)
  const secrets = secretsCall ? (rubyLiteral(`{${secretsCall[1]}}`) as Record<string, string>) : {}
  const tests: KamalTest[] = []
  const testRe = /^ {2}test "([^"]+)" do\n([\s\S]*?)^ {2}end$/gm
  for (let m = testRe.exec(src); m; m = testRe.exec(src)) {
    const body = m[2]!
    const changes = [...body.matchAll(/^\s*@config((?:\[[^\]]+\])+) = (.+)$/gm)].map((c) => ({
      path: [...c[1]!.matchAll(/\[(:\w+|"[^"]*")\]/g)].map((k) => String(rubyLiteral(k[1]!))),
      value: rubyLiteral(c[2]!),
    }))
    const variables = new Map<string, string>()
    for (const v of body.matchAll(/^\s*(\w+) = (new_command[^\n]+)$/gm)) variables.set(v[1]!, v[2]!)
    const assertions: KamalAssertion[] = []
    for (const a of body.matchAll(/assert_(equal|match) \\?\s*(%r\{.*\}|"(?:\\"|[^"])*"),\s*\n?\s*([^\n]+)/g)) {
      let target = a[3]!.trim()
      const stub = /^(stub_stdin_\w+) \{ (.*) \}$/.exec(target)
      if (stub) target = stub[2]!
      if (variables.has(target)) target = variables.get(target)!
      if (!target.startsWith('new_command')) continue
      const expected = a[2]!.startsWith('%r') ? a[2]!.slice(3, -1) : (rubyLiteral(a[2]!) as string)
      assertions.push({ expected, call: parseCall(target.replace(/\.join\(" "\)$/, '')), match: a[1] === 'match' })
    }
    tests.push({ name: m[1]!, changes, assertions })
  }
  return { config, secrets, tests }
}
