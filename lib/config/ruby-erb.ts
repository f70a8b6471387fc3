// Ruby's own ERB, for a template that needs more than berth's subset (erb.ts): the whole file is rendered as
// Kamal renders it (lib/kamal/configuration.rb: `ERB.new(File.read(file), trim_mode: "-").result`), by the
// `ruby` on PATH, in the project directory, with the environment Kamal's ERB sees (the process environment and
// KAMAL_DESTINATION; Kamal reads secrets later, into a hash, never into ENV). Like Kamal, this runs whatever
// Ruby the config holds, on this machine. `require "dotenv"` loads the dotenv gem (Kamal depends on it, so a
// Kamal install has it; Debian: ruby-dotenv).
//
// The rendered text and ENV afterwards (Dotenv.load adds to it) come back on file descriptor 3, so nothing the
// template prints can be mistaken for them; the template's stdout goes to berth's stderr, its stdin and stderr
// are the terminal's (a password manager may ask). A Ruby that runs longer than the time limit, or while
// berth gets SIGINT/SIGTERM, is ended by its pid.
import { spawn } from 'node:child_process'
import type { Env } from './local-commands.ts'

/** How long Ruby may take to render one file (its commands included). */
const RUBY_ERB_TIMEOUT_SECONDS = 120

// Kamal::Utils.docker_arch is the one piece of Kamal its own test configs call from ERB (lib/kamal/utils.rb);
// it is defined here, word for word, unless the template's Ruby already has a Kamal.
const PROGRAM = `
unless defined?(Kamal)
  module Kamal; module Utils
    def self.docker_arch
      arch = \`docker info --format '{{.Architecture}}'\`.strip
      case arch
      when /aarch64/ then "arm64"
      when /x86_64/ then "amd64"
      else arch
      end
    end
  end; end
end
$stdout.sync = true
out = IO.new(3, "wb")
file = ARGV.shift
begin
  rendered = ERB.new(File.read(file), trim_mode: "-").result
  out.write("O")
  ENV.each { |k, v| out.write("#{k}=#{v}\\0") }
  out.write("\\0")
  out.write(rendered)
rescue Exception => e
  line = e.backtrace_locations&.find { |l| l.path == "(erb)" }&.lineno
  line ||= e.message[/\\(erb\\):(\\d+)/, 1] if e.is_a?(SyntaxError)
  out.write("E#{line || 0}\\0#{e.class}: #{e.message.lines.first.to_s.chomp}")
end
out.close
`

export type RubyErbResult =
  | { ok: true; output: string; env: Env }
  | { ok: false; missing: true }
  | { ok: false; missing: false; line?: number; message: string }

export interface RubyErbOptions {
  cwd: string
  env: Env
  /** `ruby`, looked up on PATH (tests name another). */
  ruby?: string
  timeoutSeconds?: number
}

/** Decodes what PROGRAM wrote on fd 3. */
function decodeRubyResult(bytes: Buffer): RubyErbResult {
  const text = bytes.toString('utf8')
  if (text.startsWith('E')) {
    const nul = text.indexOf('\0')
    const line = Number(text.slice(1, nul))
    return { ok: false, missing: false, ...(line > 0 ? { line } : {}), message: text.slice(nul + 1) }
  }
  if (!text.startsWith('O')) return { ok: false, missing: false, message: 'Ruby ended without rendering the file' }
  const env: Env = {}
  let at = 1
  for (;;) {
    const nul = text.indexOf('\0', at)
    if (nul === -1) return { ok: false, missing: false, message: 'Ruby ended before it had written the whole result' }
    const entry = text.slice(at, nul)
    at = nul + 1
    if (!entry) break
    const eq = entry.indexOf('=')
    env[entry.slice(0, eq)] = entry.slice(eq + 1)
  }
  return { ok: true, output: text.slice(at), env }
}

export function renderWithRuby(file: string, options: RubyErbOptions): Promise<RubyErbResult> {
  const clean: Record<string, string> = {}
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) clean[k] = v
  const limit = (options.timeoutSeconds ?? RUBY_ERB_TIMEOUT_SECONDS) * 1000
  return new Promise((done) => {
    const child = spawn(options.ruby ?? 'ruby', ['-rerb', '-ryaml', '-rjson', '-e', PROGRAM, '--', file], {
      cwd: options.cwd,
      env: clean,
      stdio: ['inherit', 2, 'inherit', 'pipe'],
    })
    const chunks: Buffer[] = []
    let ended: string | undefined
    const end = (why: string) => {
      ended ??= why
      child.kill('SIGTERM')
    }
    const timer = setTimeout(() => end(`Ruby took longer than ${limit / 1000} seconds and was stopped`), limit)
    const onSignal = (signal: NodeJS.Signals) => {
      end(`interrupted by ${signal}`)
      finish()
      // with no other handler, die of the signal as before (the runner's own handlers come later)
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const finish = () => {
      clearTimeout(timer)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    ;(child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => chunks.push(chunk))
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish()
      if (error.code === 'ENOENT') done({ ok: false, missing: true })
      else done({ ok: false, missing: false, message: `ruby could not start: ${error.message}` })
    })
    child.on('close', (code, signal) => {
      finish()
      if (ended) return done({ ok: false, missing: false, message: ended })
      const result = decodeRubyResult(Buffer.concat(chunks))
      if (!result.ok || code === 0) return done(result)
      done({ ok: false, missing: false, message: `ruby ended with ${signal ?? `exit ${code}`}` })
    })
  })
}
