#!/usr/bin/env python3
"""Turns a rendered Arbor overlay (kubectl kustomize) into what `podman kube play` (4.3) runs.

podman kube play runs Deployments (one pod per replica, named <deployment>-pod-N) and ConfigMaps
but has no Services, no controllers and no Kubernetes Secrets. So this keeps the Deployments and
ConfigMaps and changes only what podman cannot run as written:
  - Services, PodDisruptionBudgets, HorizontalPodAutoscalers, Namespaces and Secrets are dropped
    (the caller gives leaf pods network aliases in place of the headless Services);
  - a Secret volume becomes an emptyDir (the dev overlay's SQLite store does not read it);
  - container ports are dropped (podman would publish them on the host), probes name ports by number;
  - hostPath volumes under /var/lib/arbor move under --host-dir;
  - images get --tag; the root Deployment gets --root-replicas (the second root plays a rolling
    update's surge pod, which no controller starts here);
  - the bundle files given with --bundle become the arbor-bundles ConfigMap.
Reads YAML on stdin, writes YAML on stdout.
"""
import argparse
import os
import sys

import yaml


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tag", required=True)
    parser.add_argument("--host-dir", required=True)
    parser.add_argument("--root-replicas", type=int, default=2)
    parser.add_argument("--bundle", action="append", default=[])
    args = parser.parse_args()

    out = []
    for doc in yaml.safe_load_all(sys.stdin):
        if not doc or doc["kind"] not in ("ConfigMap", "Deployment"):
            continue
        if doc["kind"] == "Deployment":
            spec = doc["spec"]
            if doc["metadata"]["name"] == "arbor-root":
                spec["replicas"] = args.root_replicas
            pod = spec["template"]["spec"]
            for volume in pod.get("volumes", []):
                if "secret" in volume:
                    del volume["secret"]
                    volume["emptyDir"] = {}
                host = volume.get("hostPath")
                if host and host["path"].startswith("/var/lib/arbor"):
                    host["path"] = os.path.join(args.host_dir, os.path.relpath(host["path"], "/var/lib/arbor"))
            for container in pod["containers"]:
                named = {p["name"]: p["containerPort"] for p in container.pop("ports", []) if "name" in p}
                for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                    for kind in ("httpGet", "tcpSocket", "grpc"):
                        action = container.get(probe, {}).get(kind)
                        if action and isinstance(action.get("port"), str):
                            action["port"] = named[action["port"]]
                name, _, _ = container["image"].rpartition(":")
                container["image"] = f"{name}:{args.tag}"
        out.append(doc)

    if args.bundle:
        data = {}
        for path in args.bundle:
            with open(path, encoding="utf-8") as f:
                data[os.path.basename(path)] = f.read()
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "arbor-bundles"}, "data": data})
    yaml.safe_dump_all(out, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
