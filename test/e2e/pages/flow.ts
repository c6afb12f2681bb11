/**
 * Page objects for the full console flow against the real engine: servers (TOFU), runs,
 * sets. They wait on visible state, never on time.
 */
import type { Locator } from 'playwright-core';
import type { ConsolePage } from './console.js';

export class ServersPage {
  constructor(private readonly c: ConsolePage) {}

  row(name: string): Locator {
    return this.c.page.locator('tbody tr', { has: this.c.page.locator('th', { hasText: name }) });
  }

  /** Fetches the host key and returns the fingerprint the console shows for confirmation. */
  async fetchFingerprint(name: string): Promise<string> {
    await this.row(name).getByRole('button', { name: /Buscar impressão digital|Fetch fingerprint/ }).click();
    const group = this.c.page.getByRole('group', { name: /Confirme a identidade do servidor|Confirm the server's identity/ });
    return group.locator('code.fingerprint-big').innerText();
  }

  async confirmFingerprint(): Promise<void> {
    await this.c.page.getByRole('button', { name: /As impressões são iguais, confiar|They match, trust it/ }).click();
  }

  async testConnection(name: string): Promise<void> {
    await this.row(name).getByRole('button', { name: /Testar conexão|Test connection/ }).click();
  }
}

export class RunsPage {
  constructor(private readonly c: ConsolePage) {}

  latestRow(plan: string): Locator {
    return this.c.page.locator('tbody tr', { hasText: plan }).first();
  }
}

/** The demo's badge and notices (`cofre demo`). */
export class DemoPage {
  constructor(private readonly c: ConsolePage) {}

  badge(): Locator {
    return this.c.page.getByTestId('demo-badge');
  }

  notices(): Locator {
    return this.c.page.getByTestId('demo-notices');
  }

  notice(code: string): Locator {
    return this.notices().locator(`[data-notice="${code}"]`);
  }
}

/** Testes trimestrais: start a drill (confirming it when the console asks) and wait for its verdict. */
export class DrillsPage {
  constructor(private readonly c: ConsolePage) {}

  async start(): Promise<void> {
    await this.c.button(/Iniciar teste agora|Start drill now/).click();
    // a console that asks for confirmation first: confirm it (one that does not, starts at once)
    const confirm = this.c.page.getByRole('dialog').getByRole('button', { name: /confirmar|iniciar|confirm|start/i });
    const started = this.c.page.getByText(/Teste em andamento|Aprovado|Reprovado|Falhou/).first();
    await confirm.or(started).first().waitFor();
    if (await confirm.isVisible()) await confirm.click();
  }

  /** The newest drill in the history, once it has a verdict. */
  latestResult(): Locator {
    return this.c.page.locator('main tbody tr').first().locator('.badge');
  }
}
