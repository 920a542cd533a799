import type { Locator, Page } from 'playwright';

/**
 * The dashboard's Approvals inbox as a test drives it (renderer/src/approvals), for e2e tests that hold an
 * operation and decide it in the browser (test/e2e/approvals-inbox.test.ts; a held psql statement next).
 */
export class InboxPage {
  constructor(readonly page: Page) {}

  /** Opens the inbox from the header link. */
  async open(): Promise<void> {
    await this.page.getByTestId('nav-approvals').click();
    await this.page.getByTestId('approvals-pending').waitFor();
  }

  /** The header's pending count: its text, or null while it is not shown (nothing pending). */
  async badge(): Promise<string | null> {
    const badge = this.page.getByTestId('approvals-badge');
    return (await badge.count()) === 0 ? null : badge.textContent();
  }

  /** The card of approval `id`. */
  card(id: string): Locator {
    return this.page.locator(`[data-testid="approval"][data-id="${id}"]`);
  }

  /** The approval ids in the order the inbox lists them. */
  async order(): Promise<string[]> {
    const cards = this.page.getByTestId('approval');
    const ids: string[] = [];
    for (let i = 0; i < (await cards.count()); i++)
      ids.push((await cards.nth(i).getAttribute('data-id')) ?? '');
    return ids;
  }

  /** The id of the selected approval (arrow keys move it), or null. */
  selected(): Promise<string | null> {
    return this.page.locator('[data-testid="approval"][aria-current="true"]').getAttribute('data-id');
  }

  /** Selects `id` with the arrow keys (never a click: the keyboard is what is under test). */
  async select(id: string): Promise<void> {
    const order = await this.order();
    const from = order.indexOf((await this.selected()) ?? '');
    const to = order.indexOf(id);
    if (to < 0) throw new Error(`approval ${id} is not listed (${order.join(', ')})`);
    for (let i = from; i < to; i++) await this.page.keyboard.press('ArrowDown');
    for (let i = from; i > to; i--) await this.page.keyboard.press('ArrowUp');
  }

  /** Approves `id` once with the `a` key. */
  async approveOnce(id: string): Promise<void> {
    await this.select(id);
    await this.page.keyboard.press('a');
  }

  /** Denies `id` with `d`, typing `reason` into the box `d` focuses, and Enter. */
  async deny(id: string, reason: string): Promise<void> {
    await this.select(id);
    await this.page.keyboard.press('d');
    await this.page.keyboard.type(reason);
    await this.page.keyboard.press('Enter');
  }
}
