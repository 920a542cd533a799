/** A bounded map of keys to ids, oldest forgotten first; remembers whether it forgot any since reset. */
export class RecentIds {
  private readonly ids = new Map<string, string>();
  /** True once an entry was forgotten (the caller resets it after catching SQLite up). */
  forgotSince = false;

  constructor(private readonly capacity: number) {}

  /** The id remembered for `key`, if any. */
  get(key: string): string | undefined {
    return this.ids.get(key);
  }

  /** Remembers `id` for `key` as the newest entry, forgetting the oldest one beyond the capacity. */
  remember(key: string, id: string): void {
    this.ids.delete(key);
    this.ids.set(key, id);
    if (this.ids.size <= this.capacity) return;
    const oldest = this.ids.keys().next().value;
    if (oldest !== undefined) this.ids.delete(oldest);
    this.forgotSince = true;
  }
}
