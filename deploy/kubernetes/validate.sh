#!/usr/bin/env bash
# Renders every overlay with `kubectl kustomize` and checks each object against the Kubernetes
# schema (npm kubernetes-models, installed once into deploy/kubernetes/.validate/).
#   deploy/kubernetes/validate.sh [EXTRA.yaml...]   extra files are checked as they are
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/.validate"
if [ ! -d "$tools/node_modules/kubernetes-models" ] || [ ! -d "$tools/node_modules/yaml" ]; then
  mkdir -p "$tools"
  (cd "$tools" && npm install --silent --no-audit --no-fund --no-save kubernetes-models@5.1.0 yaml@2.9.1 >/dev/null)
fi
cp "$here/validate.mjs" "$tools/validate.mjs"
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
files=()
for overlay in "$here"/overlays/*/; do
  name="$(basename "$overlay")"
  kubectl kustomize "$overlay" > "$rendered/$name.yaml"
  files+=("$rendered/$name.yaml")
done
node "$tools/validate.mjs" "${files[@]}" "$@"
