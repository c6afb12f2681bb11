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
