/**
 * Page objects for the Cofre console. They speak in the user's terms (open a screen, run a
 * plan, walk the restore wizard) and wait on visible state, never on time.
 */
import type { Page, ConsoleMessage } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const SCREENS = ['painel', 'servidores', 'planos', 'copias', 'execucoes', 'restaurar', 'testes', 'configuracoes', 'auditoria'] as const;
export type ScreenName = (typeof SCREENS)[number];

export class ConsolePage {
  readonly problems: string[] = [];

  constructor(
    readonly page: Page,
    private readonly screenshotDir: string,
  ) {
    mkdirSync(screenshotDir, { recursive: true });
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' || m.type() === 'warning') this.problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.problems.push(`pageerror: ${e.message}`));
  }

  /** Opens the printed URL (token → cookie → clean URL) and waits for the first status load. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('#root[data-app-state="ready"]').waitFor();
  }

  async go(screen: ScreenName): Promise<void> {
    await this.page.locator(`nav.side a[href="#/${screen}"]`).click();
    await this.page.locator(`main[data-screen="${screen}"]`).waitFor();
  }

  heading(): Promise<string> {
    return this.page.locator('main h1').innerText();
  }

  async screenshot(name: string): Promise<string> {
    const path = join(this.screenshotDir, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  button(name: string | RegExp) {
    return this.page.getByRole('button', { name });
  }
}

export class DashboardPage {
  constructor(private readonly c: ConsolePage) {}

  planCard(plan: string) {
    return this.c.page.locator('section.card', { has: this.c.page.getByRole('heading', { name: plan, exact: true }) });
  }

  async runNow(plan: string): Promise<void> {
    await this.planCard(plan).getByRole('button', { name: /Executar agora|Run now/ }).click();
  }
}

export class RestoreWizardPage {
  constructor(private readonly c: ConsolePage) {}

  async choosePoint(index = 0): Promise<void> {
    await this.c.page.locator('.choices button').nth(index).click();
  }

  async chooseTarget(name: string): Promise<void> {
    await this.c.page.getByRole('combobox', { name: /Destino da restauração|Restore target/ }).selectOption(name);
  }

  confirmField(name: string) {
    return this.c.page.getByLabel(`Digite "${name}" para confirmar`);
  }

  preflightButton() {
    return this.c.button(/Verificar antes de restaurar/);
  }

  async startAndWaitForReport(): Promise<void> {
    await this.c.button(/Iniciar restauração/).click();
    await this.c.page.locator('[data-testid="rto-elapsed"]').waitFor();
    await this.c.page.getByText('Restauração concluída e validada.').waitFor();
  }
}
