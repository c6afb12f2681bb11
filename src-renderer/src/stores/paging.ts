/** One page of a long list (Execuções, Auditoria, Cópias). Pages count from 1. */
export interface Page<T> {
  items: T[];
  page: number;
  pages: number;
  total: number;
}

export const PAGE_SIZE = 20;

export function pageOf<T>(items: readonly T[], page: number, size = PAGE_SIZE): Page<T> {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  return { items: items.slice((p - 1) * size, p * size), page: p, pages, total: items.length };
}
