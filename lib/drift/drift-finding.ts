// One kind of drift found for an accessory on a host, with the reasons a person can act on.

type DriftKind = 'image' | 'image-id' | 'registry' | 'config' | 'secrets' | 'proxy'

export interface DriftFinding {
  kind: DriftKind
  /** Short phrases: `env POSTGRES_USER app → app2`, `port 5432:5432 → 5433:5432`. */
  reasons: string[]
}
