#!/usr/bin/env bash
# Builds the Arbor container images with podman: localhost/arbor-root:TAG (no libtorch) and
# localhost/arbor-leaf:TAG (Debian libtorch, CPU). Prints each image's size.
#
#   scripts/images.sh [TAG]            TAG defaults to "dev"
#
# The .NET app is published self-contained on this machine and copied in (no SDK image needed).
# The base is debian:bookworm-slim when a registry answers; otherwise a Debian 12 base is built
# here with mmdebstrap from this machine's apt mirror (localhost/arbor-base:bookworm, kept), so the
# script works offline and in CI. Extra podman build arguments: ARBOR_LEAF_BUILD_ARGS, e.g.
#   ARBOR_LEAF_BUILD_ARGS="--build-arg BASE_IMAGE=my/cuda-libtorch --build-arg TORCH_PACKAGES=" scripts/images.sh gpu
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="${1:-dev}"
out="$here/.build/images"
mkdir -p "$out"

need=()
for tool in podman buildah runc mmdebstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ "${#need[@]}" -gt 0 ]; then
  echo "images: installing ${need[*]}" >&2
  apt-get update -qq && apt-get install -y -qq podman buildah runc mmdebstrap >/dev/null
fi

# runc (crun fails on hybrid cgroup hosts) and explicit ulimits (the defaults are refused there).
if [ -z "${CONTAINERS_CONF:-}" ] && [ ! -f /etc/containers/containers.conf ]; then
  export CONTAINERS_CONF="$out/containers.conf"
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n\n[engine]\nruntime = "runc"\n' > "$CONTAINERS_CONF"
fi

echo "images: publishing the arbor CLI (self-contained, linux-x64)" >&2
rm -rf "$out/app"
dotnet publish "$here/src/Arbor.Cli/Arbor.Cli.csproj" -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true -o "$out/app" -nologo -clp:ErrorsOnly >&2

base="docker.io/library/debian:bookworm-slim"
if ! podman image exists "$base" && ! timeout 30 podman pull -q "$base" >/dev/null 2>&1; then
  base="localhost/arbor-base:bookworm"
  if ! podman image exists "$base"; then
    # The Debian archive this machine installs from (a ".../debian" URI, not -security).
    mirror="$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -1 | tr -d ' ' || true)"
    [ -n "$mirror" ] || { echo "images: no registry and no apt mirror found for mmdebstrap" >&2; exit 1; }
    echo "images: no registry reachable; building $base with mmdebstrap from $mirror" >&2
    mmdebstrap --variant=minbase --include=ca-certificates bookworm "$out/rootfs.tar" "$mirror" >&2
    podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$out/rootfs.tar" "$base" >/dev/null
    rm -f "$out/rootfs.tar"
  fi
fi

echo "images: base $base" >&2
podman build -q --format docker --label org.arbor.image=root -f "$here/deploy/images/root.Containerfile" --build-arg "BASE_IMAGE=$base" -t "localhost/arbor-root:$tag" "$out" >/dev/null
# shellcheck disable=SC2086 # ARBOR_LEAF_BUILD_ARGS is a list of arguments
podman build -q --format docker --label org.arbor.image=leaf -f "$here/deploy/images/leaf.Containerfile" --build-arg "BASE_IMAGE=$base" ${ARBOR_LEAF_BUILD_ARGS:-} -t "localhost/arbor-leaf:$tag" "$out" >/dev/null

# A rebuilt tag leaves its previous image dangling: remove those of Arbor's (only the ones labelled here).
podman image prune -f --filter label=org.arbor.image >/dev/null || true

for image in "localhost/arbor-root:$tag" "localhost/arbor-leaf:$tag"; do
  size=$(podman image inspect --format '{{.Size}}' "$image")
  echo "$image $(( size / 1024 / 1024 )) MiB"
done
