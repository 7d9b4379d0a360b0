// The guest book's UI modules and UI methods (the `uiModules` / `uiMethods` settings).
import { type RequestHandler, UIModule } from "typhoon";
import type { GuestbookEntry } from "./guestbook.js";

/**
 * `{% module Entry(entry) %}`: one entry, short or (with `{full: true}`) in full. Its CSS is
 * added to the page's <head> once, however many entries the page shows.
 */
export class Entry extends UIModule {
  override render(entry: GuestbookEntry, { full = false }: { full?: boolean } = {}): string {
    return this.renderString("modules/entry.html", { entry, full });
  }

  override embeddedCss(): string {
    return ".entry { border-left: 3px solid #369; padding-left: 1em; margin: 1em 0; }";
  }
}

/** `{{ plural(3, "entry", "entries") }}` → "3 entries". UI methods receive the handler first. */
export function plural(_handler: RequestHandler, count: number, singular: string, pluralForm: string): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
