/** Page object of a set's file browser (Cópias) and the wizard's path picker. */
import type { Locator } from 'playwright-core';
import type { ConsolePage } from './console.js';

export class FileBrowserPage {
  constructor(private readonly c: ConsolePage) {}

  /** Cópias: opens the browser of the n-th set card. */
  async openFromSet(index = 0): Promise<void> {
    const card = this.c.page.locator('.timeline-item').nth(index);
    await card.getByRole('button', { name: /Ver arquivos|Fechar arquivos/ }).waitFor();
    // the browser stays open across screens: open it only when it is closed
    if (await card.getByRole('button', { name: 'Ver arquivos' }).count()) await card.getByRole('button', { name: 'Ver arquivos' }).click();
    await this.root().locator('[data-testid="file-count"]').waitFor();
  }

  root(): Locator {
    return this.c.page.getByTestId('file-browser');
  }

  row(path: string): Locator {
    return this.root().locator(`tr[data-path="${path.replace(/"/g, '\\"')}"]`);
  }

  /** Clicks a folder's name in the current listing. */
  async enter(path: string): Promise<void> {
    await this.row(path).locator('button.link-button').click();
    const last = path.slice(path.lastIndexOf('/') + 1);
    // a top folder's crumb shows its whole path, a folder under it its own name
    await this.root().getByRole('navigation').locator('[aria-current="location"]').filter({ hasText: new RegExp(`(^|/)${last.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor();
  }

  async search(query: string): Promise<void> {
    await this.root().getByLabel('Buscar pelo nome').fill(query);
    await this.root().getByRole('button', { name: 'Buscar', exact: true }).click();
    await this.root().getByTestId('file-count').getByText(/encontrado/).waitFor();
  }

  async top(): Promise<void> {
    await this.root().getByRole('button', { name: 'Início' }).click();
  }
}
