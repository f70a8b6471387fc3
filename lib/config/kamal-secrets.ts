// `$(kamal secrets …)` in `.kamal/secrets`: Kamal runs these in-process (`Kamal::Cli::Main.start(
// command.shellsplit[1..] + ["--inline"])`, lib/kamal/secrets/dotenv/inline_command_substitution.rb), so
// berth does too, without Kamal installed. `extract` is Kamal's own logic (lib/kamal/cli/secrets.rb);
// `fetch` and `print` need Kamal itself (its vault adapters, its config), and say so. Pure.

export type KamalSecretsResult = { ok: true; value: string } | { ok: false; detail: string }

/** Ruby's Shellwords.shellsplit (POSIX words: quotes, backslashes); throws on an unmatched quote. */
export function shellSplit(line: string): string[] {
  const words: string[] = []
  const token = /\s*(?:([^\0\s\\'"]+)|'([^\0']*)'|"((?:[^\0"\\]|\\[^\0])*)"|(\\[^\0]?)|(\S))(\s|$)?/y
  let field = ''
  let pos = 0
  while (pos < line.length) {
    token.lastIndex = pos
    const m = token.exec(line)
    if (!m || m[0] === '') break
    const [, word, single, double, escape, garbage, separator] = m
    if (garbage !== undefined)
      throw new Error(`${garbage === '\0' ? 'Nul character' : 'Unmatched quote'} at ${m.index}: ${line}`)
    field +=
      word ??
      single ??
      (double !== undefined ? double.replace(/\\([$`"\\\n])/g, '$1') : (escape ?? '').replace(/\\([\s\S])/g, '$1'))
    // (an empty match of an optional group does not count in JavaScript: the end of the line is a separator too)
    if (separator !== undefined || token.lastIndex >= line.length) {
      words.push(field)
      field = ''
    }
    pos = token.lastIndex
  }
  return words
}

/** `kamal secrets extract NAME SECRETS_JSON`: the value named, or the one whose key ends in `/NAME`. */
export function extractSecret(name: string, json: string): KamalSecretsResult {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    // (the parser's message would quote the text, which holds secrets)
    return { ok: false, detail: 'kamal secrets extract: the secrets are not JSON' }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, detail: 'kamal secrets extract: the secrets are not a JSON object' }
  const entries = Object.entries(parsed as Record<string, unknown>)
  const present = (v: unknown) => v !== null && v !== undefined && v !== false // Ruby's ||
  const direct = (parsed as Record<string, unknown>)[name]
  const value = present(direct) ? direct : entries.find(([key]) => key.endsWith(`/${name}`))?.[1]
  if (value === null || value === undefined) return { ok: false, detail: `Could not find secret ${name}` }
  return { ok: true, value: typeof value === 'string' ? value : JSON.stringify(value) }
}

/** A `kamal secrets …` command line (after `$VAR` substitution), as Kamal runs it inline. */
export function kamalSecretsCommand(command: string): KamalSecretsResult {
  let words: string[]
  try {
    words = shellSplit(command)
  } catch (e) {
    return { ok: false, detail: (e as Error).message }
  }
  // Thor takes options anywhere; `--inline` is what Kamal appends
  const args = words.slice(2).filter((w) => w !== '--inline')
  const sub = args[0]
  if (sub === 'extract') {
    if (args.length !== 3)
      return {
        ok: false,
        detail: `kamal secrets extract takes NAME and SECRETS (the JSON a fetch printed), got ${args.length - 1} arguments`,
      }
    return extractSecret(args[1] as string, args[2] as string)
  }
  if (sub === 'fetch' || sub === 'print') {
    return {
      ok: false,
      detail: `\`kamal secrets ${sub}\` needs Kamal itself (its vault adapters and config), which berth does not run; call your password manager's own command there instead (for example $(op read op://vault/item/field)), or write the value into the secrets file another way`,
    }
  }
  return {
    ok: false,
    detail: `\`kamal secrets ${sub ?? ''}\` is not a command berth knows (Kamal has fetch, extract and print; berth runs extract)`,
  }
}
