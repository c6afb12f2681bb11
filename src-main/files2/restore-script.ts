/**
 * `sets/<setId>/restore.sh`: a plaintext POSIX script, with no file names inside, that rebuilds
 * every source of its set from a copy of the storage root with only sh, coreutils, age, tar and
 * zstd. It checks the SHA-256 of every object it reads against the hashes written into it (its
 * own hash is in the signed manifest), decrypts each index (and decompresses a `.index.zst.age`
 * one), extracts each pack once into a private stage folder under OUT_DIR, and places the
 * members per the index.
 *
 * The placement part (`PLACE_SH`) is also what Cofre runs on a restore target, so both ways of
 * restoring place files alike: folders first, then files and hard links, then symlinks (so no
 * path is ever created through a symlink), then folder modes and mtimes deepest first. Owners
 * are set (by name, else by id) only when running as root. Paths with `.` or `..` components,
 * relative paths and member names that are not content ids are refused.
 */
import type { Manifest } from '../../shared/domain.js';
import { shq } from '../remote/shell.js';

/** sh functions: `cofre_place INDEX STAGE OUT` (OUT absolute). */
export const PLACE_SH = `cofre_die() { echo "cofre: $*" >&2; exit 1; }
cofre_unesc() {
  case $1 in
    -) cofre_v= ;;
    *\\\\*) cofre_v=$(printf '%bx' "$1"); cofre_v=\${cofre_v%x} ;;
    *) cofre_v=$1 ;;
  esac
}
cofre_path() {
  cofre_unesc "$1"
  case $cofre_v in /*) ;; *) cofre_die "refusing a relative path in the index" ;; esac
  case "$cofre_v/" in */../*|*/./*) cofre_die "refusing a path with . or .. in the index" ;; esac
  cofre_p=$cofre_v
}
# modes and owners are applied at the end, in batches (xargs), one list per value: few processes per file
cofre_later() { # path type mode uid gid owner group
  [ "$2" = l ] || printf '%s\\0' "$1" >> "$cofre_meta/mode.$3"
  if [ "$cofre_root" = 1 ]; then
    [ -f "$cofre_meta/names.$4.$5" ] || { cofre_unesc "$6"; cofre_o=$cofre_v; cofre_unesc "$7"; printf '%s:%s\\n' "$cofre_o" "$cofre_v" > "$cofre_meta/names.$4.$5"; }
    printf '%s\\0' "$1" >> "$cofre_meta/owner.$4.$5"
  fi
}
cofre_apply() {
  for f in "$cofre_meta"/owner.*; do
    [ -f "$f" ] || continue
    k=\${f##*/owner.}; n=$(cat "$cofre_meta/names.$k")
    xargs -0 chown -h "$n" < "$f" 2>/dev/null || xargs -0 chown -h "\${k%.*}:\${k#*.}" < "$f"
  done
  for f in "$cofre_meta"/mode.*; do
    [ -f "$f" ] || continue
    xargs -0 chmod "\${f##*/mode.}" < "$f"
  done
  rm -f "$cofre_meta"/owner.* "$cofre_meta"/mode.* "$cofre_meta"/names.*
}
cofre_place() {
  cofre_idx=$1 cofre_stage=$2 cofre_out=$3 cofre_meta=$2/.meta
  cofre_root=0; [ "$(id -u)" != 0 ] || cofre_root=1
  mkdir -p "$cofre_out" "$cofre_meta"
  # one pass per kind of entry over only its lines (sh reads a byte at a time); no shell variable
  # per content (sh keeps variables in a small hash table: 100k of them made every line slow)
  grep '^d ' "$cofre_idx" > "$cofre_meta/dirs" || :
  grep -e '^f ' -e '^h ' "$cofre_idx" > "$cofre_meta/files" || :
  grep '^l ' "$cofre_idx" > "$cofre_meta/links" || :
  : > "$cofre_meta/mkdir"
  while read -r t p mode uid gid own grp mt size tgt lg sp cid pack mem; do
    cofre_path "$p"; printf '%s\\0' "$cofre_out$cofre_p" >> "$cofre_meta/mkdir"
  done < "$cofre_meta/dirs"
  xargs -0 -r mkdir -p < "$cofre_meta/mkdir"
  while read -r t p mode uid gid own grp mt size tgt lg sp cid pack mem; do
    cofre_path "$p"; d=$cofre_out$cofre_p
    [ -d "\${d%/*}" ] || mkdir -p "\${d%/*}"
    if [ "$t" = h ]; then
      cofre_path "$tgt"
      if [ -f "$cofre_out$cofre_p" ] && ln "$cofre_out$cofre_p" "$d" 2>/dev/null; then continue; fi
    fi
    if [ "$cid" = - ]; then
      : > "$d"
    else
      case $cid in *[!0-9a-f]*|'') cofre_die "refusing a member name that is not a content id" ;; esac
      s=$cofre_stage/$cid
      [ -f "$s" ] || cofre_die "content of an entry is missing from its pack (pack $pack)"
      # the first file with this content takes the staged copy (a hard link: the stage is
      # removed at the end); the others with the same content get their own copy
      if [ "$sp" = 1 ]; then cp --sparse=always "$s" "$d"
      elif [ -f "$s.used" ]; then cp "$s" "$d"
      else ln "$s" "$d"; : > "$s.used"
      fi
    fi
    touch -d "@$mt" "$d"
    cofre_later "$d" f "$mode" "$uid" "$gid" "$own" "$grp"
  done < "$cofre_meta/files"
  while read -r t p mode uid gid own grp mt size tgt lg sp cid pack mem; do
    cofre_path "$p"; d=$cofre_out$cofre_p
    [ -d "\${d%/*}" ] || mkdir -p "\${d%/*}"
    cofre_unesc "$tgt"; ln -s "$cofre_v" "$d"
    touch -h -d "@$mt" "$d"
    cofre_later "$d" l "$mode" "$uid" "$gid" "$own" "$grp"
  done < "$cofre_meta/links"
  while read -r t p mode uid gid own grp mt size tgt lg sp cid pack mem; do
    cofre_path "$p"; cofre_later "$cofre_out$cofre_p" d "$mode" "$uid" "$gid" "$own" "$grp"
  done < "$cofre_meta/dirs"
  cofre_apply
  LC_ALL=C sort -r "$cofre_meta/dirs" | while read -r t p mode uid gid own grp mt size tgt lg sp cid pack mem; do
    cofre_path "$p"; touch -d "@$mt" "$cofre_out$cofre_p"
  done
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
[ ! -f "$TMP/packs" ] || while read -r n s; do
  case $n in *[!0-9a-f.tarzsge]*|.*) cofre_die "refusing the pack name $n" ;; esac
  cofre_sha "packs/$n" "$s"
  case $n in
    *.zst.age) age -d -i "$IDF" "packs/$n" | zstd -d -q -c | tar -x -f - -C "$STAGE" --no-same-owner --no-same-permissions ;;
    *) age -d -i "$IDF" "packs/$n" | tar -x -f - -C "$STAGE" --no-same-owner --no-same-permissions ;;
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
