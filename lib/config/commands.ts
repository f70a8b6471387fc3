// Temporary: moved to local-commands.ts (imports rewritten in a later commit).
export * from './local-commands.ts'
