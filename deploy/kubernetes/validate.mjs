// Checks rendered Kubernetes objects against the Kubernetes OpenAPI schema (npm kubernetes-models).
// Usage: node validate.mjs FILE.yaml...  (multi-document YAML, e.g. `kubectl kustomize` output)
// Prints one line per object; exits 1 when any object is invalid or of an unknown kind.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

let failures = 0;
for (const file of process.argv.slice(2)) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    const object = document.toJS();
    if (!object) continue;
    const name = `${file}: ${object.kind ?? "?"}/${object.metadata?.name ?? "?"}`;
    try {
      if (object.kind === "Secret" && object.data) {
        // kustomize wraps long base64 values over lines; the API server's decoder skips line breaks.
        for (const key of Object.keys(object.data)) object.data[key] = String(object.data[key]).replace(/\s+/g, "");
      }
      const module = await import(`kubernetes-models/${object.apiVersion}/${object.kind}`);
      const Model = module[object.kind] ?? module.default;
      new Model(object).validate();
      checkDrain(object);
      console.log(`ok ${name}`);
    } catch (error) {
      failures++;
      console.log(`INVALID ${name}: ${error.message}`);
    }
  }
}
// A server's drain (--drain-delay-ms + --drain-timeout-ms) must fit in the pod's grace period, or
// the kubelet kills it with calls still in flight.
function checkDrain(object) {
  if (object.kind !== "Deployment") return;
  const pod = object.spec.template.spec;
  for (const container of pod.containers) {
    const value = (flag, fallback) => {
      const arg = (container.args ?? []).find((a) => a.startsWith(`${flag}=`));
      return arg ? Number(arg.slice(flag.length + 1)) : fallback;
    };
    const drainMs = value("--drain-delay-ms", 0) + value("--drain-timeout-ms", 10000);
    const graceMs = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
    if (drainMs > graceMs) {
      throw new Error(`container ${container.name} drains for ${drainMs} ms but terminationGracePeriodSeconds allows ${graceMs} ms`);
    }
  }
}

process.exit(failures === 0 ? 0 : 1);
