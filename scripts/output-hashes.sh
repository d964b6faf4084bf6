#!/usr/bin/env bash
# sha256 of every output the pipeline writes, for the demo study and the faulty study, with one
# fixed key: curated zone, restricted zone, reports, employer summaries, research exports
# (sav, csv, parquet), codebook and `metrics --safe --json`.
#
#   bash scripts/output-hashes.sh OUT_DIR > hashes.txt
#
# A refactor that must not change behaviour runs this before and after and diffs the two lists.
# Only `dwt` commands are used, so the script does not depend on internal APIs. Values that are
# meant to differ between runs (run ids and timestamps of the restricted manifest, GX run times)
# are removed before hashing and listed here: manifest.json `run_id`.
set -euo pipefail
out=${1:?usage: output-hashes.sh OUT_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
dwt="$here/.venv/bin/dwt"
py="$here/.venv/bin/python"
export DWT_PSEUDONYM_KEY="output-hashes-fixed-key"
export PREFECT_HOME="$out/prefect-home"
rm -rf "$out" && mkdir -p "$out"
for study in demo faulty; do
  d="$out/$study"
  mkdir -p "$d/data/raw"
  if [ "$study" = faulty ]; then
    "$dwt" generate --out "$d/data/raw" --seed 2017 --faults >/dev/null
  else
    "$dwt" generate --out "$d/data/raw" --seed 2017 >/dev/null
  fi
  (cd "$d" && "$dwt" demo --data-dir data --out reports >/dev/null 2>&1) || true
  "$dwt" metrics --data-dir "$d/data" --safe --json > "$d/metrics-safe.json"
  "$dwt" metrics --data-dir "$d/data" --json > "$d/metrics.json"
  for fmt in csv parquet; do
    "$dwt" export research --data-dir "$d/data" --format "$fmt" --out "$d/export-$fmt" >/dev/null
  done
  "$dwt" codebook --out "$d/codebook.html" >/dev/null
done
"$py" - "$out" <<'PY'
import hashlib, json, sys
from pathlib import Path

root = Path(sys.argv[1])
for study in ("demo", "faulty"):
    base = root / study
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base).as_posix()
        if not path.is_file() or rel.startswith(("data/raw/", "data/runs/")) or rel.endswith(".lock"):
            continue
        if rel.endswith("demo-pseudonym.key"):
            continue
        data = path.read_bytes()
        if rel == "data/restricted/manifest.json":
            manifest = json.loads(data)
            for entry in manifest["files"].values():
                entry.pop("run_id", None)
            data = json.dumps(manifest, sort_keys=True).encode()
        print(hashlib.sha256(data).hexdigest(), f"{study}/{rel}")
PY
