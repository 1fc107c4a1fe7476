#!/usr/bin/env bash
# Generates the sample model repository (models, golden files, feature registry, sample feature
# data, partition manifest) with Debian's PyTorch. Idempotent: does nothing when OUT_DIR already
# holds the output of the current generator sources. Safe to call concurrently (file lock).
#   models/generate.sh [OUT_DIR]      default: models/repo; broken test artefacts go to OUT_DIR.bad
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/repo}"
out="$(mkdir -p "$(dirname "$out")" && cd "$(dirname "$out")" && pwd)/$(basename "$out")"
python=/usr/bin/python3

stamp="$(cat "$here/generate.sh" "$here/generate.py" "$here"/arbor_models/*.py | sha256sum | cut -c1-32)"
up_to_date() { [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ] && [ -d "$out.bad" ]; }
up_to_date && exit 0

if ! "$python" -c "import torch" 2>/dev/null; then
  echo "models/generate.sh: $python cannot import torch (apt-get install -y python3-torch)" >&2
  exit 1
fi

exec 9>"$out.lock"
flock 9
up_to_date && exit 0  # another process generated it while this one waited

tmp="$out.tmp.$$"
rm -rf "$tmp" "$tmp.bad"
trap 'rm -rf "$tmp" "$tmp.bad"' EXIT
echo "models/generate.sh: generating sample models into $out" >&2
"$python" "$here/generate.py" --out "$tmp" --bad-out "$tmp.bad" >&2
echo "$stamp" > "$tmp/.stamp"
rm -rf "$out" "$out.bad"
mv "$tmp.bad" "$out.bad"
mv "$tmp" "$out"
