/**
 * Page objects for the restore choices (sources, point in time), the drill confirmation and
 * the audit log. They find elements by role, label or data-testid and wait on visible state.
 */
import type { Download, Locator } from 'playwright-core';
import type { ConsolePage } from './console.js';

export class PointInTimePage {
  constructor(private readonly c: ConsolePage) {}

  get form(): Locator {
    return this.c.page.getByTestId('point-in-time');
  }

  /** Types a wall-clock instant ("YYYY-MM-DDTHH:mm", the clinic's zone) and asks which set it picks. */
  async find(wallClock: string): Promise<void> {
    await this.c.page.getByTestId('point-instant').fill(wallClock);
    await this.form.getByRole('button').first().click();
  }

  result(): Locator {
    return this.c.page.getByTestId('point-result');
  }

  async use(): Promise<void> {
    await this.result().getByRole('button').click();
  }
}

export class SourcesChoicePage {
  constructor(private readonly c: ConsolePage) {}

  source(name: string): Locator {
    return this.c.page.getByTestId('restore-sources').locator(`li[data-source="${name}"]`);
  }

  checkbox(name: string): Locator {
    return this.source(name).getByRole('checkbox');
  }
}

export class DrillsPage {
  constructor(private readonly c: ConsolePage) {}

  startButton(): Locator {
    return this.c.page.locator('main').getByRole('button', { name: /Iniciar teste agora|Start drill now|Teste em andamento/ });
  }

  dialog(): Locator {
    return this.c.page.getByRole('dialog');
  }

  async confirm(): Promise<void> {
    await this.dialog().getByRole('button', { name: /Sim, iniciar|Yes, start/ }).click();
    await this.dialog().waitFor({ state: 'detached' });
  }

  async cancel(): Promise<void> {
    await this.dialog().getByRole('button', { name: /Cancelar|Cancel/ }).click();
    await this.dialog().waitFor({ state: 'detached' });
  }
}

export class AuditPage {
  constructor(private readonly c: ConsolePage) {}

  rows(): Locator {
    return this.c.page.getByTestId('audit-row');
  }

  async filterWho(who: string): Promise<void> {
    await this.c.page.getByTestId('audit-filter-who').selectOption(who);
  }

  async exportCsv(): Promise<Download> {
    const [download] = await Promise.all([this.c.page.waitForEvent('download'), this.c.page.getByTestId('audit-export').click()]);
    return download;
  }
}
