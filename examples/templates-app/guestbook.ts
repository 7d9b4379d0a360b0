// The guest book's storage: entries in memory, newest first.

/** One signature of the guest book. */
export interface GuestbookEntry {
  readonly id: number;
  readonly name: string;
  readonly message: string;
}

/** Entries kept in memory (a real application would use a database). */
export class Guestbook {
  readonly #entries: GuestbookEntry[] = [];
  #nextId = 1;

  /** Adds an entry and returns it. */
  add(name: string, message: string): GuestbookEntry {
    const entry = { id: this.#nextId++, name, message };
    this.#entries.unshift(entry);
    return entry;
  }

  /** The entry with this id, if any. */
  get(id: number): GuestbookEntry | undefined {
    return this.#entries.find((entry) => entry.id === id);
  }

  /** All entries, newest first. */
  get entries(): readonly GuestbookEntry[] {
    return this.#entries;
  }

  /** The number of entries. */
  get size(): number {
    return this.#entries.length;
  }
}
