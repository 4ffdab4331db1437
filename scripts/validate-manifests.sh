#!/usr/bin/env bash
# Validates every Kubernetes manifest the project renders or ships against the official schemas
# (PyPI kubernetes-validate, strict: unknown fields are errors; schemas ship inside the package, no network):
#   - the shoot objects the controller renders (RuntimeClass, ServiceAccount, ConfigMap, DaemonSet), with and
#     without flags, through `gardener-extension-runtime-gvisor render`;
#   - the Helm chart under configs/charts, rendered with its defaults and with overrides;
#   - the examples under configs/gardener.
# Gardener's own kinds (Shoot, ControllerRegistration, ControllerDeployment) and the VerticalPodAutoscaler (a CRD
# every seed has) have no official schema: they are listed as such, and any other kind without a schema is an error.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VALIDATE_VENV:-.venv-validate}
VERSIONS=${VALIDATE_K8S_VERSIONS:-1.30.0 1.33.0 1.37.0}
GARDENER_KINDS='Shoot|ControllerRegistration|ControllerDeployment'
NO_SCHEMA="Couldn't find schema for kind (($GARDENER_KINDS) with api version core\\.gardener\\.cloud/|VerticalPodAutoscaler with api version autoscaling\\.k8s\\.io/)"
if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
    echo "validate-manifests: $VENV/bin/kubernetes-validate missing; run 'make deps'" >&2
    exit 1
fi
out=$(mktemp -d /tmp/validate-manifests.XXXXXX)
trap 'rm -rf "$out"' EXIT

bin=$(swift build --show-bin-path)/gardener-extension-runtime-gvisor
[ -x "$bin" ] || { echo "validate-manifests: $bin missing; run 'make build'" >&2; exit 1; }
"$bin" render --pool worker-gvisor >"$out/shoot-objects-no-flags.yaml"
"$bin" render --pool worker-gvisor-2 --binary-path /opt/bin \
    --provider-config configs/examples/gvisor-configuration.yaml >"$out/shoot-objects-flags.yaml"
# Rendering is deterministic: twice the same bytes.
"$bin" render --pool worker-gvisor | cmp -s - "$out/shoot-objects-no-flags.yaml" \
    || { echo "validate-manifests: two renders differ" >&2; exit 1; }

chart=configs/charts/gardener-extension-runtime-gvisor
"$VENV/bin/python" scripts/render-chart.py "$chart" >"$out/chart-defaults.yaml"
# A seed below 1.27 gets the PDB without unhealthyPodEvictionPolicy.
"$VENV/bin/python" scripts/render-chart.py "$chart" --kube-version 1.26.0 >"$out/chart-seed-1.26.yaml"
cat >"$out/overrides.yaml" <<'VALUES'
replicaCount: 2
registry: registry.example:5000/gardener
controllers: {concurrentSyncs: 10, ignoreOperationAnnotation: true, strictProviderConfig: true}
gvisorInstallation: {testRepository: registry.example/test/gvisor-node}
metrics: {enableScraping: false}
vpa: {enabled: false}
runtimeClass: {overhead: {memory: 200Mi, cpu: 100m}}
VALUES
"$VENV/bin/python" scripts/render-chart.py "$chart" --namespace garden --values "$out/overrides.yaml" \
    >"$out/chart-overrides.yaml"

files=("$out"/shoot-objects-*.yaml "$out"/chart-*.yaml configs/gardener/*.yaml)
status=0
for version in $VERSIONS; do
    report=$("$VENV/bin/kubernetes-validate" --strict -k "$version" "${files[@]}" 2>&1) || status=1
    passed=$(grep -c ' passed for resource ' <<<"$report" || true)
    gardener=$(grep -cE "$NO_SCHEMA" <<<"$report" || true)
    problems=$(grep -vE " passed for resource |$NO_SCHEMA" <<<"$report" || true)
    if [ -n "$problems" ]; then
        echo "$problems" | sed "s|$out/|rendered/|g" >&2
        status=1
    fi
    echo "validate-manifests: Kubernetes $version: $passed objects valid (strict), $gardener Gardener/VPA objects without an official schema"
done
if [ "$status" -ne 0 ]; then
    echo "validate-manifests: FAILED" >&2
    exit 1
fi
