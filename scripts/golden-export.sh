#!/usr/bin/env bash
# Golden check for refactors: builds the knowledge base with REV's code (in a temporary git
# worktree) and with the working tree's code, on the same data, and diffs what a reader sees:
# the full `export --format ndjson` and `--format csv`, `stats --json`, three `plan --format json`,
# every resource row with its mappings, and the warnings per source and file. Fields a refactor adds on purpose (facets, logic) and
# volatile ones (build time, paths) are dropped before the diff. Exit 0: identical.
#
#   scripts/golden-export.sh ec1fd55            # diff REV against the working tree
#   GOLDEN_KEEP=1 scripts/golden-export.sh REV  # keep /tmp/golden-* for a closer look
set -euo pipefail
rev=${1:?usage: scripts/golden-export.sh REV}
here=$(cd "$(dirname "$0")/.." && pwd)
data=${PURPLEBOOK_DATA:-$(cd "$here/../shared/data" && pwd)}
work=$(mktemp -d /tmp/golden-XXXXXX)
tree="$work/rev"
cleanup() {
  git -C "$here" worktree remove --force "$tree" >/dev/null 2>&1 || true
  [ -n "${GOLDEN_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

git -C "$here" worktree add --detach --quiet "$tree" "$rev"
ln -s "$here/node_modules" "$tree/node_modules"

# What one checkout's code makes of the data, as sorted, comparable text files in $2.
snapshot() {
  local dir=$1 out=$2
  mkdir -p "$out"
  (cd "$dir" && npx tsc -p tsconfig.json >/dev/null)
  local db="$out/kb.db"
  PURPLEBOOK_DATA="$data" node "$dir/dist/cli/main.js" build --db "$db" --full --quiet >/dev/null 2>"$out/build.err" || { cat "$out/build.err"; exit 1; }
  node "$dir/dist/cli/main.js" export --format ndjson --db "$db" >"$out/export.ndjson"
  node "$dir/dist/cli/main.js" stats --json --db "$db" >"$out/stats.json"
  node "$dir/dist/cli/main.js" export --format csv --db "$db" >"$out/export.tsv"
  # Plans read platforms, executors and elevation (facets after the connector kit, meta before).
  node "$dir/dist/cli/main.js" plan --group G0016 --format json --db "$db" >"$out/plan.json"
  node "$dir/dist/cli/main.js" plan --group G0016 --platform windows --format json --db "$db" >"$out/plan-windows.json"
  node "$dir/dist/cli/main.js" plan --group G0007 --platform linux --format json --db "$db" >"$out/plan-linux.json"
  node "$here/scripts/golden-dump.mjs" "$db" "$out"
}

snapshot "$tree" "$work/before"
snapshot "$here" "$work/after"

status=0
for f in export.ndjson export.tsv stats.json plan.json plan-windows.json plan-linux.json resources.ndjson warnings.tsv; do
  if ! node "$here/scripts/golden-dump.mjs" --normalize "$work/before/$f" >"$work/before/$f.n" ||
     ! node "$here/scripts/golden-dump.mjs" --normalize "$work/after/$f" >"$work/after/$f.n"; then
    echo "golden: cannot normalize $f"; status=1; continue
  fi
  if cmp -s "$work/before/$f.n" "$work/after/$f.n"; then
    echo "golden: $f identical ($(wc -l <"$work/after/$f.n") lines)"
  else
    echo "golden: $f DIFFERS"; diff "$work/before/$f.n" "$work/after/$f.n" | head -40; status=1
  fi
done
[ -n "${GOLDEN_KEEP:-}" ] && echo "golden: kept $work"
exit $status
