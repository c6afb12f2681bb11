/**
 * zstd around remote commands. MySQL/MariaDB dumps are compressed on the clinic server
 * (`mysqldump | zstd`), so the SSH read, the upload and storage all carry the compressed bytes;
 * a restore target decompresses (`zstd -d | mysql`). POSIX sh has no `pipefail`: `pipeBoth`
 * keeps both exit statuses, so a failed mysqldump (or a zstd that could not read its input)
 * fails the command instead of leaving a short stream that looks complete.
 */

/** Compression level on the server: fast (hundreds of MB/s on one core) and ~5× smaller SQL. */
export const ZSTD_LEVEL = 3;

/**
 * `producer | consumer` that exits with a failure of either side: `first` says whose failure is
 * reported when both failed (the other one's is usually a consequence, e.g. SIGPIPE).
 */
export function pipeBoth(producer: string, consumer: string, first: 'producer' | 'consumer'): string {
  const capture = `{ cofre_ps=$( { { ( ${producer} ) 3>&-; echo "$?" >&3; } | ( ${consumer} ) 3>&- >&4; } 3>&1 ); cofre_cs=$?; } 4>&1`;
  const p = '[ "${cofre_ps:-1}" = 0 ] || exit "${cofre_ps:-1}"';
  const c = '[ "$cofre_cs" = 0 ] || exit "$cofre_cs"';
  return `${capture}; ${first === 'producer' ? `${p}; ${c}` : `${c}; ${p}`}; exit 0`;
}

/** `command | zstd` on the server: the dump's failure first. */
export function compressedOutput(command: string): string {
  return pipeBoth(command, `zstd -q -c -${ZSTD_LEVEL}`, 'producer');
}

/** `zstd -d | command` on a restore target: the command's failure first (zstd then only saw a closed pipe). */
export function decompressedInput(command: string): string {
  return pipeBoth('zstd -d -q -c', command, 'consumer');
}
