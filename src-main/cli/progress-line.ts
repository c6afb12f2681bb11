/** One progress report as the CLI's progress line (backup, restore, drill, adopt, repack). */
import { formatBytes, formatDuration, formatRate } from '../../shared/format.js';
import type { Progress } from '../../shared/domain.js';

export function progressLine(p: Progress): string {
  const total = p.totalBytes ? ` of ~${formatBytes(p.totalBytes)}` : '';
  const eta = p.etaSeconds !== undefined ? `, ETA ${formatDuration(p.etaSeconds * 1000)}` : '';
  const limit = p.limitBytesPerSecond !== undefined ? ` (limited to ${formatRate(p.limitBytesPerSecond, 'en')})` : '';
  return `${p.phase}${p.source ? ` ${p.source}` : ''}: ${formatBytes(p.bytes)}${total} at ${formatRate(p.bytesPerSecond)}${limit}${eta}`;
}
