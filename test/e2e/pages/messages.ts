/**
 * Watches what the engine says in English and what the console shows: every `message`, `hint`,
 * `expected`/`actual` string the engine sends over the console's WebSocket is collected, and
 * `visibleEnglish()` returns those that are visible with every "Detalhe técnico" closed.
 */
import type { Page, WebSocket } from 'playwright-core';

const ENGLISH_FIELDS = new Set(['message', 'hint', 'expected', 'actual']);

/** A sentence worth looking for: a few words, not a bare name, number or path. */
function isSentence(s: string): boolean {
  return s.length >= 16 && s.trim().split(/\s+/).length >= 3;
}

function collect(value: unknown, into: Set<string>, field?: string): void {
  if (typeof value === 'string') {
    if (field && ENGLISH_FIELDS.has(field) && isSentence(value)) into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, into, field);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collect(v, into, k);
  }
}

export class EngineEnglish {
  /** every English sentence the engine has sent so far */
  readonly sentences = new Set<string>();

  constructor(private readonly page: Page) {
    page.on('websocket', (ws: WebSocket) => {
      ws.on('framereceived', (frame) => {
        if (typeof frame.payload !== 'string') return;
        try {
          collect(JSON.parse(frame.payload) as unknown, this.sentences);
        } catch {
          // not JSON: nothing the engine said
        }
      });
    });
  }

  /** The engine's English sentences (each, or its first line) visible on the page right now. */
  async visibleEnglish(): Promise<string[]> {
    // innerText leaves out what is not rendered, such as the body of a closed <details>
    const visible = (await this.page.locator('body').innerText()).replace(/\s+/g, ' ');
    const leaks: string[] = [];
    for (const s of this.sentences) {
      const first = s.split('\n')[0]?.replace(/\s+/g, ' ').trim() ?? '';
      if (visible.includes(first)) leaks.push(first);
    }
    return leaks;
  }

  /** Catalog keys or message placeholders that leaked instead of text. */
  async visibleKeys(): Promise<string[]> {
    const visible = await this.page.locator('body').innerText();
    return visible.match(/\b(?:error|check|ssh|storage|config|validate|log|restore|set|source)\.[A-Za-z]+(?:\.[A-Za-z]+)*\b|\{[a-z]+\}/g) ?? [];
  }
}
