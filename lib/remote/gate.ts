// A counting semaphore, no I/O: the connection pool uses it to keep at most `sshkit.max_concurrent_starts`
// ssh handshakes in flight (connections.ts).

/** A counting semaphore: at most `size` pieces of work at once, the rest wait in order. */
export class Gate {
  private active = 0
  private readonly waiting: Array<() => void> = []
  readonly size: number
  constructor(size: number) {
    this.size = Math.max(1, size)
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    try {
      return await work()
    } finally {
      const next = this.waiting.shift()
      if (next)
        next() // the slot passes straight to the next waiter
      else this.active--
    }
  }
}
