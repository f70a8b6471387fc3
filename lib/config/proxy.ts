// Temporary: moved to accessory-proxy.ts (imports rewritten in a later commit).
export * from './accessory-proxy.ts'
