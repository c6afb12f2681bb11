/**
 * `sets/<setId>/restore.sh`: a plaintext POSIX script, with no file names inside, that rebuilds
 * every source of its set from a copy of the storage root with only sh, coreutils, age, tar and
 * zstd. It checks the SHA-256 of every object it reads against the hashes written into it (its
 * own hash is in the signed manifest), decrypts each index (and decompresses a `.index.zst.age`
 * one), extracts each pack once into its own folder of a private stage folder under OUT_DIR, and
 * places the members per the index. A `cofre-files-index/2` index names a member by the first
 * digits of its content id (the member's whole name): the script learns from the indexes how many
 * digits name each pack's members and has GNU tar stage them under those (`--transform`; `-k`
 * refuses two members with the same digits), so the place code finds each member by its name.
 *
 * The placement part (`PLACE_SH`) is also what Cofre runs on a restore target, so both ways of
 * restoring place files alike: one tar stream, made by the shell, into one GNU `tar -x -p`:
 * files and hard links, then symlinks (so no path is ever created through a symlink), then
 * folders deepest first (their modes and mtimes hold). Owners are set (by name, else by id) only
 * when running as root. Paths with `.` or `..` components, relative paths and member names that
 * are not content ids are refused.
 */
import type { Manifest } from '../../shared/domain.js';
import { shq } from '../remote/shell.js';

/** `\000` a NUL in a printf format (so a run of them never reads as one octal escape with a following digit). */
const nul = (n: number): string => '\\000'.repeat(n);

/**
 * One ustar header block as a printf format: name `cofre` (the pax `path` record overrides it),
 * %07o mode, uid and gid, mtime zero (a pax record carries it), %011o size, %06o checksum, %s type
 * flag, empty link name (pax `linkpath`), magic `ustar` 00, %b owner and group names (32 bytes each,
 * NUL-padded by the caller). Names and ids stay in the block: GNU tar looks up the block's owner
 * name and falls back to the block's id, while pax `uname`/`uid` records are taken as they are.
 */
const BLOCK_PARTS: Array<[string, string]> = [
  ['cofre', nul(95)], ['%07o', nul(1)], ['%07o', nul(1)], ['%07o', nul(1)], ['%011o', nul(1)],
  ['00000000000', nul(1)], ['%06o', `${nul(1)} `], ['%s', nul(100)], ['ustar', nul(1)], ['00', ''], ['%b', ''], ['%b', nul(8 + 8 + 155 + 12)],
];
const BLOCK_FMT = BLOCK_PARTS.map(([a, b]) => a + b).join('');
/** The checksum of a block whose mode, uid, gid and size digits are all zero (`0`), type and names empty, with the checksum field as 8 spaces. */
const BLOCK_SUM = (() => {
  const fixed = BLOCK_PARTS.map(([a]) => a).join('').replaceAll('%07o', '0000000').replace('%011o', '00000000000').replace('%06o', '        ').replace('%s', '').replaceAll('%b', '');
  let sum = 0;
  for (const ch of fixed) sum += ch.charCodeAt(0);
  return sum;
})();

/** `case` branches giving the first byte of a string, when an index field keeps it as is (`[A-Za-z0-9._/+,:@=-]`), its code in cofre_c. */
const ORD_CASES = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/+,:@=-']
  .map((ch) => `${ch === '-' ? '\\-' : ch}*) cofre_c=${ch.charCodeAt(0)} ;;`).join(' ');
/** 32 NULs as a %b argument. */
const NUL32 = '\\0000'.repeat(32);

/** The pax records every entry carries, in one printf format (an empty value unsets its keyword). */
const RECORDS_FMT = '%s path=%s%b\\n%s linkpath=%s%b\\n%s mtime=%s\\n%s %s=%s\\n%s %s=%s\\n%s uname=%b\\n%s gname=%b\\n%s size=%s\\n';
/** One entry: the padding of the data before it, a pax header block, its records and their padding, the entry's block. */
const ENTRY_FMT = `%*s${BLOCK_FMT}${RECORDS_FMT}%*s${BLOCK_FMT}`;

/**
 * sh functions: `cofre_place INDEX STAGE OUT` (OUT absolute; STAGE/<pack>/<cid field> is each
 * member, a folder per pack: short content ids are unique within a pack, not across packs).
 *
 * Placing files one process at a time (ln, touch, chmod per file) took 210 s for 10k files here:
 * process starts, not bytes, were the cost; and sh's `read` reads a byte per system call. So the
 * index is read a few thousand lines at a time (`split`, `cat`, split into lines in the shell),
 * and the loop starts no process per entry: it writes one tar stream (pax headers made with one
 * printf per entry, the staged members' bytes joined to them by `cat`, a thousand files a `cat`)
 * into one `tar -x -p`, which sets modes, mtimes (to the nanosecond), owners (as root: by name,
 * else by id), symlinks and hard links itself. Every file gets its own copy of its content, so
 * files sharing content are never hard-linked to each other (only the index's hard links are).
 * Symlinks come after every file, so nothing is written through one; folders come last, deepest
 * first, so their mtimes and modes hold. A sparse file (rare) is copied with `cp --sparse=always`,
 * given its metadata (chown, chmod, touch) and linked into place; the first file of a content of
 * 1 MiB or more gets its metadata on the staged member itself and is linked into place (large
 * bytes are not written twice, nor held twice on disk). Paths with `.` or `..` components,
 * relative paths and member names that are not content ids are refused; each field is checked
 * before it reaches arithmetic or printf.
 */
export const PLACE_SH = `cofre_die() { echo "cofre: $*" >&2; exit 1; }
cofre_nl='
'
cofre_unesc() {
  case $1 in
    -) cofre_v= ;;
    *\\\\*) cofre_v=$(printf '%bx' "$1"); cofre_v=\${cofre_v%x} ;;
    *) cofre_v=$1 ;;
  esac
}
cofre_check() { # path mode uid gid mtime: refuse anything that is not what the index format allows
  case $1 in /*) ;; *) cofre_die "refusing a relative path in the index" ;; esac
  case "$1/" in */../*|*/./*) cofre_die "refusing a path with . or .. in the index" ;; esac
  case $2 in *[!0-7]*|'') cofre_die "refusing a mode that is not octal in the index" ;; esac
  case $3$4 in *[!0-9]*) cofre_die "refusing an owner id that is not a number in the index" ;; esac
  case $5 in *[!0-9.-]*|'') cofre_die "refusing an mtime that is not a number in the index" ;; esac
}
cofre_len() { # bytes of an escaped field once unescaped (each \\\\0ooo is one byte)
  cofre_r=$1 cofre_n=\${#1}
  while :; do
    case $cofre_r in *\\\\*) cofre_r=\${cofre_r#*\\\\}; cofre_n=$((cofre_n - 4)) ;; *) break ;; esac
  done
}
cofre_rl() { # length of a pax record "LEN KEY=VALUE\\n" whose key and value take $1 bytes
  cofre_b=$(($1 + 3)); cofre_l=$((cofre_b + \${#cofre_b}))
  [ \${#cofre_l} = \${#cofre_b} ] || cofre_l=$((cofre_l + 1))
}
cofre_sum() { # ord(type) mode size [uid gid]: the checksum of a header block
  cofre_s=$((${BLOCK_SUM} + $1)); shift
  for cofre_k in "$@"; do
    while [ "$cofre_k" -gt 0 ]; do cofre_s=$((cofre_s + cofre_k % 8)); cofre_k=$((cofre_k / 8)); done
  done
}
cofre_name() { # escaped name: cofre_nf (the 32-byte block field as a %b argument), cofre_ns (its byte sum)
  cofre_r=$1 cofre_ns=0 cofre_nn=0 cofre_nf=$1
  [ "$cofre_r" != - ] || cofre_r= cofre_nf=
  while [ -n "$cofre_r" ]; do
    case $cofre_r in
      \\\\0[0-7][0-7][0-7]*) cofre_c=\${cofre_r#??}; cofre_c=\${cofre_c%"\${cofre_c#???}"}; cofre_c=$((0$cofre_c)); cofre_r=\${cofre_r#?????} ;;
      *) case $cofre_r in ${ORD_CASES} *) cofre_die "refusing an owner name the index cannot hold" ;; esac; cofre_r=\${cofre_r#?} ;;
    esac
    cofre_ns=$((cofre_ns + cofre_c)); cofre_nn=$((cofre_nn + 1))
  done
  # a name longer than the field is left to its pax record (then the id is used)
  if [ "$cofre_nn" -gt 31 ]; then cofre_nf= cofre_ns=0 cofre_nn=0; fi
  while [ "$cofre_nn" -lt 32 ]; do cofre_nf="$cofre_nf\\\\0000"; cofre_nn=$((cofre_nn + 1)); done
}
# one entry: type-flag ord(type-flag) path(esc) link-prefix link(esc, or empty) mode(octal text) uid gid owner(esc) group(esc) mtime size
cofre_entry() {
  cofre_len "$3"; cofre_rl $((4 + \${#cofre_out} + cofre_n)); cofre_r1=$cofre_l
  cofre_len "$5"; cofre_rl $((8 + \${#4} + cofre_n)); cofre_r2=$cofre_l
  cofre_t=\${11}; cofre_rl $((5 + \${#cofre_t})); cofre_r3=$cofre_l
  # ids past the block's 7 octal digits go in pax records (then the name is not looked up); else an ignored comment
  cofre_u=$7 cofre_ku=comment cofre_vu=; if [ \${#cofre_u} -gt 6 ] && [ "$cofre_u" -gt 2097151 ]; then cofre_ku=uid cofre_vu=$cofre_u cofre_u=0; fi
  cofre_rl $((\${#cofre_ku} + \${#cofre_vu})); cofre_r4=$cofre_l
  cofre_h=$8 cofre_kg=comment cofre_vg=; if [ \${#cofre_h} -gt 6 ] && [ "$cofre_h" -gt 2097151 ]; then cofre_kg=gid cofre_vg=$cofre_h cofre_h=0; fi
  cofre_rl $((\${#cofre_kg} + \${#cofre_vg})); cofre_r5=$cofre_l
  cofre_o=$9; [ "$cofre_o" != - ] || cofre_o=; cofre_len "$cofre_o"; cofre_rl $((5 + cofre_n)); cofre_r6=$cofre_l
  cofre_g=\${10}; [ "$cofre_g" != - ] || cofre_g=; cofre_len "$cofre_g"; cofre_rl $((5 + cofre_n)); cofre_r7=$cofre_l
  cofre_z=\${12}; cofre_rl $((4 + \${#cofre_z})); cofre_r8=$cofre_l
  cofre_x=$((cofre_r1 + cofre_r2 + cofre_r3 + cofre_r4 + cofre_r5 + cofre_r6 + cofre_r7 + cofre_r8))
  # sizes past the block's 11 octal digits (8 GiB) are in the pax record alone
  [ \${#cofre_z} -lt 11 ] || [ "$cofre_z" -le 8589934591 ] || cofre_z=0
  cofre_sum 120 420 "$cofre_x"; cofre_xs=$cofre_s
  # owner and group names for the block, worked out again only when they change from the entry before
  if [ "$9" != "$cofre_lo" ]; then cofre_name "$9"; cofre_lo=$9 cofre_of=$cofre_nf cofre_os=$cofre_ns; fi
  if [ "\${10}" != "$cofre_lg" ]; then cofre_name "\${10}"; cofre_lg=\${10} cofre_gf=$cofre_nf cofre_gs=$cofre_ns; fi
  cofre_m=$((0$6)); cofre_sum $(($2 + cofre_os + cofre_gs)) "$cofre_m" "$cofre_z" "$cofre_u" "$cofre_h"
  printf '${ENTRY_FMT}' "$cofre_pad" '' 420 0 0 "$cofre_x" "$cofre_xs" x '${NUL32}' '${NUL32}' \\
    "$cofre_r1" "$cofre_out" "$3" "$cofre_r2" "$4" "$5" "$cofre_r3" "$cofre_t" "$cofre_r4" "$cofre_ku" "$cofre_vu" "$cofre_r5" "$cofre_kg" "$cofre_vg" \\
    "$cofre_r6" "$cofre_o" "$cofre_r7" "$cofre_g" "$cofre_r8" "\${12}" $(((512 - cofre_x % 512) % 512)) '' \\
    "$cofre_m" "$cofre_u" "$cofre_h" "$cofre_z" "$cofre_s" "$1" "$cofre_of" "$cofre_gf" >&3
  cofre_pad=0
}
cofre_meta_of() { # file mode uid gid owner group mtime: metadata set by processes (sparse and large files only)
  if [ "$cofre_root" = 1 ]; then
    cofre_unesc "$5"; cofre_o=$cofre_v; cofre_unesc "$6"
    if [ -n "$cofre_o" ] && [ -n "$cofre_v" ] && chown "$cofre_o:$cofre_v" "$1" 2>/dev/null; then :; else chown "$3:$4" "$1"; fi
  fi
  chmod "$2" "$1"; touch -d "@$7" "$1"
}
cofre_one() { # one index line (type path mode uid gid owner group mtime size target linkGroup sparse cid pack); sets cofre_d when its content follows
  cofre_d=
  case $1 in f|h|l|d) ;; *) return 0 ;; esac
  cofre_check "$2" "$3" "$4" "$5" "$8"
  case $1 in
    d) printf '%s\\n' "$*" >&4; return 0 ;;
    l) printf '%s\\n' "$*" >&5; return 0 ;;
  esac
  case $9\${11} in *[!0-9]*|'') cofre_die "refusing a size that is not a number in the index" ;; esac
  if [ "\${11}" != 0 ]; then
    if [ -f "$cofre_meta/g.\${11}" ]; then
      # a hard link of an entry placed above (the group's first, or the first of it asked for)
      read -r cofre_gp < "$cofre_meta/g.\${11}"
      cofre_entry 1 49 "$2" "$cofre_out" "$cofre_gp" "$3" "$4" "$5" "$6" "$7" "$8" 0
      return 0
    fi
    printf '%s\\n' "$2" > "$cofre_meta/g.\${11}"
  fi
  if [ "\${13}" = - ]; then
    cofre_entry 0 48 "$2" '' '' "$3" "$4" "$5" "$6" "$7" "$8" 0
    return 0
  fi
  case \${13} in *[!0-9a-f]*|'') cofre_die "refusing a member name that is not a content id" ;; esac
  case \${14} in *[!0-9a-f.tarzsge]*|.*|'') cofre_die "refusing the pack name \${14} in the index" ;; esac
  # the member, staged in its pack's folder under the index's cid field (whole, or its first digits)
  cofre_mf=\${14}/\${13}
  [ -f "$cofre_stage/$cofre_mf" ] || cofre_die "content \${13} of an entry is missing from its pack \${14}"
  if [ "\${12}" = 1 ]; then
    # sparse: a private copy keeps its holes, gets its metadata, and is linked into place
    cofre_sp=$((cofre_sp + 1)); cofre_f=$cofre_stage/.sparse.$cofre_sp
    cp --sparse=always "$cofre_stage/$cofre_mf" "$cofre_f"
    cofre_meta_of "$cofre_f" "$3" "$4" "$5" "$6" "$7" "$8"
    cofre_entry 1 49 "$2" "$cofre_stage/" ".sparse.$cofre_sp" "$3" "$4" "$5" "$6" "$7" "$8" 0
    return 0
  fi
  if [ "$9" -ge 1048576 ] && [ ! -f "$cofre_stage/$cofre_mf.used" ]; then
    case $cofre_root$3 in 1*|0*[4567][0-7][0-7]) cofre_big=1 ;; *) cofre_big= ;; esac
    if [ -n "$cofre_big" ]; then
      # a large file takes the staged member itself (its bytes are not written twice, nor held
      # twice on disk): its metadata is set on it and it is linked into place; a later file
      # with the same content copies it (readable: its owner can read it, or this is root)
      : > "$cofre_stage/$cofre_mf.used"
      cofre_meta_of "$cofre_stage/$cofre_mf" "$3" "$4" "$5" "$6" "$7" "$8"
      cofre_entry 1 49 "$2" "$cofre_stage/" "$cofre_mf" "$3" "$4" "$5" "$6" "$7" "$8" 0
      return 0
    fi
  fi
  cofre_entry 0 48 "$2" '' '' "$3" "$4" "$5" "$6" "$7" "$8" "$9"
  cofre_d=$cofre_stage/$cofre_mf cofre_pad=$(((512 - $9 % 512) % 512))
}
cofre_lines() { # file handler: runs the handler on each line of the file, read whole (sh's read takes a byte per system call)
  IFS=$cofre_nl; cofre_c=$(cat "$1")
  for cofre_line in $cofre_c; do IFS=' '; $2 $cofre_line; IFS=$cofre_nl; done
  IFS=' '
}
cofre_stream() { # writes the tar stream on stdout
  cofre_i=0 cofre_nb=0 cofre_sp=0 cofre_pad=0 cofre_lo=/ cofre_lg=/
  exec 3>"$cofre_meta/h.0" 4>"$cofre_meta/dirs" 5>"$cofre_meta/links"
  set --
  set +f
  for cofre_chunk in "$cofre_meta"/c.*; do
    [ -f "$cofre_chunk" ] || continue
    set -f
    IFS=$cofre_nl; cofre_c=$(cat "$cofre_chunk")
    for cofre_line in $cofre_c; do
      IFS=' '; cofre_one $cofre_line
      if [ -n "$cofre_d" ]; then
        # the member's bytes follow the headers written so far; a new header file goes after them
        exec 3>&-
        set -- "$@" "$cofre_meta/h.$cofre_i" "$cofre_d"
        cofre_i=$(((cofre_i + 1) % 4096)); cofre_nb=$((cofre_nb + 1))
        exec 3>"$cofre_meta/h.$cofre_i"
        if [ "$cofre_nb" -ge 1000 ]; then cat "$@"; set --; cofre_nb=0; fi
      fi
    done
  done
  IFS=' '
  exec 4>&- 5>&-
  # symlinks after every file, so nothing is written through one
  cofre_lines "$cofre_meta/links" cofre_link
  # folders last, deepest first: nothing is created in them after their mtime and mode are set
  tac "$cofre_meta/dirs" > "$cofre_meta/dirs.r"
  cofre_lines "$cofre_meta/dirs.r" cofre_dir
  printf '%*s${nul(1024)}' "$cofre_pad" '' >&3
  exec 3>&-
  cat "$@" "$cofre_meta/h.$cofre_i"
  : > "$cofre_meta/ok"
}
cofre_link() { cofre_entry 2 50 "$2" '' "\${10}" "$3" "$4" "$5" "$6" "$7" "$8" 0; }
cofre_dir() { cofre_entry 5 53 "$2" '' '' "$3" "$4" "$5" "$6" "$7" "$8" 0; }
cofre_place() { # INDEX STAGE OUT: STAGE/<pack>/<cid field> holds each member
  LC_ALL=C; export LC_ALL
  cofre_idx=$1 cofre_stage=$2 cofre_out=\${3%/} cofre_meta=$2/.meta
  cofre_root=0; [ "$(id -u)" != 0 ] || cofre_root=1
  mkdir -p "\${cofre_out:-/}" "$cofre_meta"
  rm -f "$cofre_meta/ok" "$cofre_meta"/c.*
  # only the fields placing needs (a shorter line is fewer bytes for sh), a few thousand lines a chunk
  cut -d ' ' -f 1-14 "$cofre_idx" | split -a 6 -l 4000 - "$cofre_meta/c."
  cofre_stream | tar -x -P -p -f - || cofre_die "tar could not place the files (read its message above)"
  [ -f "$cofre_meta/ok" ] || cofre_die "the files were not all placed (read the message above)"
}
`;

/** What restore.sh needs from a format-2 set. */
export interface RestoreScriptInput {
  manifest: Pick<Manifest, 'setId' | 'plan' | 'createdAt' | 'sources' | 'cofreVersion'>;
  /** per files-v2 source: its index object */
  indexes: Record<string, { key: string; sha256: string }>;
  packs: Array<{ key: string; sha256: string }>;
}

function outName(part: string, format: string): string {
  if (format === 'pgdump') return `${part}.pgdump`;
  return `${part}.sql`;
}

export function restoreScript(input: RestoreScriptInput): string {
  const { manifest } = input;
  const lines: string[] = [];
  lines.push('#!/bin/sh');
  lines.push(`# Cofre set ${manifest.setId} (plan ${manifest.plan}), made ${manifest.createdAt} by Cofre ${manifest.cofreVersion}.`);
  lines.push('# Rebuilds every source of this set with only sh, coreutils, age, tar and zstd. Run it from a copy');
  lines.push('# of the storage root (the folder that holds sets/ and packs/), after checking manifest.json.sig');
  lines.push("# (ssh-keygen -Y verify) and this file's SHA-256 (restoreScript in manifest.json):");
  lines.push(`#   sh sets/${manifest.setId}/restore.sh IDENTITY_FILE OUT_DIR`);
  lines.push(`#   sh sets/${manifest.setId}/restore.sh --list-packs      (the packs to download, one key a line)`);
  lines.push('# Files go under OUT_DIR/<source>/ (paths as on the server); databases become OUT_DIR/<source>/<db>.pgdump or .sql.');
  lines.push('# Extended attributes and ACLs are not kept. Owners are restored only when run as root.');
  lines.push('set -eu');
  lines.push('export LC_ALL=C');
  lines.push(`SET=${shq(manifest.setId)}`);
  lines.push(`PACKS=${shq(input.packs.map((p) => `${p.key.slice('packs/'.length)} ${p.sha256}`).join('\n'))}`);
  lines.push(PLACE_SH);
  lines.push(`if [ "\${1:-}" = --list-packs ]; then
  [ -z "$PACKS" ] || printf '%s\\n' "$PACKS" | while read -r n s; do echo "packs/$n"; done
  exit 0
fi
[ $# -eq 2 ] || cofre_die "usage: sh sets/$SET/restore.sh IDENTITY_FILE OUT_DIR  (or --list-packs)"
IDF=$1 OUT=$2
[ -d "sets/$SET" ] || cofre_die "run it from the storage root (the folder that holds sets/ and packs/)"
[ -r "$IDF" ] || cofre_die "cannot read the identity file $IDF"
for t in age tar zstd sha256sum; do command -v $t >/dev/null 2>&1 || cofre_die "$t is not installed"; done
umask 077
TMP=$(mktemp -d)
STAGE=
trap 'rm -rf "$TMP"; [ -z "$STAGE" ] || rm -rf "$STAGE"' EXIT
trap 'exit 1' INT TERM HUP
if head -c 64 "$IDF" | grep -q -e 'age-encryption.org/v1' -e 'BEGIN AGE ENCRYPTED FILE'; then
  echo "The identity file is protected by a passphrase: age asks for it once." >&2
  age -d -o "$TMP/identity" "$IDF" || cofre_die "could not decrypt the identity file"
  IDF=$TMP/identity
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cofre_sha() {
  [ -f "$1" ] || cofre_die "$1 is missing (with S3, download the keys --list-packs prints, and sets/$SET/)"
  [ "$(sha256sum < "$1" | cut -d' ' -f1)" = "$2" ] || cofre_die "$1: its SHA-256 differs from the set's manifest (damaged or altered); nothing more is restored"
}
cofre_obj() { # key sha out zstd
  cofre_sha "$1" "$2"; mkdir -p "\${3%/*}"
  if [ "$4" = 1 ]; then age -d -i "$IDF" "$1" | zstd -d -q -c > "$3"; else age -d -i "$IDF" -o "$3" "$1"; fi
  [ -s "$3" ] || cofre_die "$1 did not decrypt (wrong identity?)"
  echo "restored $3" >&2
}
cofre_index() { # source key sha  (.index.zst.age: zstd inside the age encryption; .index.age: plain text)
  cofre_sha "$2" "$3"
  case $2 in
    *.index.zst.age)
      age -d -i "$IDF" -o "$TMP/$1.index.zst" "$2" || cofre_die "$2 did not decrypt (wrong identity?)"
      zstd -d -q -c "$TMP/$1.index.zst" > "$TMP/$1.index" || cofre_die "$2 did not decompress"
      rm -f "$TMP/$1.index.zst" ;;
    *) age -d -i "$IDF" -o "$TMP/$1.index" "$2" || cofre_die "$2 did not decrypt (wrong identity?)" ;;
  esac
}`);
  const files: string[] = [];
  for (const src of manifest.sources) {
    for (const o of src.objects) {
      if (o.format === 'files-v2') {
        const idx = input.indexes[src.name] ?? { key: o.key, sha256: o.sha256 };
        lines.push(`cofre_index ${shq(src.name)} ${shq(idx.key)} ${idx.sha256}`);
        files.push(src.name);
      } else if (src.type !== 'files') {
        const zst = o.format.endsWith('.zst') ? 1 : 0;
        lines.push(`cofre_obj ${shq(o.key)} ${o.sha256} "$OUT/"${shq(`${src.name}/${outName(o.part, o.format)}`)} ${zst}`);
      } else {
        // a format-1 files object (one whole tar) inside a format-2 set
        lines.push(`cofre_sha ${shq(o.key)} ${o.sha256}; mkdir -p "$OUT/"${shq(src.name)}; age -d -i "$IDF" ${shq(o.key)} | ${o.format === 'tar.zst' ? 'zstd -d -q -c | ' : ''}tar -x -p -f - -C "$OUT/"${shq(src.name)}`);
      }
    }
  }
  if (files.length > 0) {
    lines.push(`STAGE=$(mktemp -d "$OUT/.cofre-stage.XXXXXX")
[ -z "$PACKS" ] || printf '%s\\n' "$PACKS" > "$TMP/packs"
# how the indexes name each pack's members: whole content ids (64 digits), or their first digits
# (a cofre-files-index/2 index); the members are staged under that name, in a folder per pack
cat "$TMP"/*.index | grep -v '^#' | cut -d ' ' -f 13,14 | sort -u -t ' ' -k 2,2 > "$TMP/named"
while read -r c n; do
  case $n in -) continue ;; *[!0-9a-f.tarzsge]*|.*|'') cofre_die "refusing the pack name $n in an index" ;; esac
  echo \${#c} > "$TMP/len.$n"
done < "$TMP/named"
[ ! -f "$TMP/packs" ] || while read -r n s; do
  case $n in *[!0-9a-f.tarzsge]*|.*) cofre_die "refusing the pack name $n" ;; esac
  cofre_sha "packs/$n" "$s"
  L=64; [ ! -f "$TMP/len.$n" ] || read -r L < "$TMP/len.$n"
  case $L in *[!0-9]*|'') cofre_die "refusing a content id length $L" ;; esac
  # short names: each member staged under its first L digits; -k refuses a second member with the same ones
  if [ "$L" -lt 64 ]; then set -- -k "--transform=s/^\\([0-9a-f]\\{$L\\}\\)[0-9a-f]*\\$/\\1/"; else set --; fi
  mkdir "$STAGE/$n"
  case $n in
    *.zst.age) age -d -i "$IDF" "packs/$n" | zstd -d -q -c | tar -x -f - -C "$STAGE/$n" --no-same-owner --no-same-permissions "$@" ;;
    *) age -d -i "$IDF" "packs/$n" | tar -x -f - -C "$STAGE/$n" --no-same-owner --no-same-permissions "$@" ;;
  esac
done < "$TMP/packs"`);
    for (const name of files) {
      lines.push(`cofre_place "$TMP/"${shq(`${name}.index`)} "$STAGE" "$OUT/"${shq(name)}`);
      lines.push(`echo "restored the files of ${name} under $OUT/${name}" >&2`);
    }
  }
  lines.push('echo "set $SET restored under $OUT" >&2');
  return `${lines.join('\n')}\n`;
}
