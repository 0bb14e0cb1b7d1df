#!/usr/bin/env bash
# Renders each overlay of deploy/k8s with kustomize and validates every object strictly against
# the Kubernetes API's JSON schemas with kubeconform (unknown fields, missing required ones and
# wrong types fail). Run by .ci/run; by hand: bash deploy/k8s/validate.sh
#
# Tools, all from package registries and cached outside the clone in ~/.cache/realtime-pipeline/k8s-tools (fast when present):
#   - kustomize and kubeconform: Go modules, built with `go install` (the Go module proxy);
#   - the schemas: the PyPI package kubernetes-validate ships the Kubernetes API's JSON schemas
#     (one folder per minor version, strict variants included); its wheel is downloaded with pip
#     and unpacked, nothing is installed. kubeconform's default schema source is not reachable here.
set -euo pipefail
cd "$(dirname "$0")/../.."

KUSTOMIZE_VERSION=v5.8.0
KUBECONFORM_VERSION=v0.8.0
SCHEMAS_PACKAGE_VERSION=1.37.0
# The oldest and the newest Kubernetes minor the manifests must be valid for.
KUBERNETES_VERSIONS="1.33.0 1.37.0"

tools=${K8S_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/realtime-pipeline/k8s-tools}
mkdir -p "$tools/bin"

install_go_tool() { # <binary> <module path>@<version>
  local marker="$tools/bin/.$1-${2##*@}"
  [[ -x "$tools/bin/$1" && -e "$marker" ]] && return
  echo "k8s: building $1 ${2##*@} (go install)"
  GOBIN="$tools/bin" GOFLAGS=-buildvcs=false go install "$2"
  touch "$marker"
}
install_go_tool kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
install_go_tool kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"

schemas="$tools/schemas-$SCHEMAS_PACKAGE_VERSION-${KUBERNETES_VERSIONS// /-}"
if [[ ! -e "$schemas/.complete" ]]; then
  echo "k8s: fetching the Kubernetes JSON schemas (kubernetes-validate $SCHEMAS_PACKAGE_VERSION wheel)"
  rm -rf "$schemas" && mkdir -p "$schemas/wheel"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$schemas/wheel" "kubernetes-validate==$SCHEMAS_PACKAGE_VERSION"
  python3 -m zipfile -e "$schemas"/wheel/*.whl "$schemas/unpacked"
  for version in $KUBERNETES_VERSIONS; do
    mv "$schemas/unpacked/kubernetes_validate/kubernetes-json-schema/v$version-local-strict" "$schemas/v$version-strict"
  done
  # Each schema names itself by an https $id and points at the shared definitions by the absolute
  # "/api/_definitions.json", which kubeconform would then try to download. Without the $id and with
  # a relative reference, the definitions resolve to the file beside the schema.
  python3 - "$schemas"/v*-strict <<'PY'
import json, pathlib, sys
for folder in sys.argv[1:]:
    for path in pathlib.Path(folder).glob('*.json'):
        schema = json.loads(path.read_text())
        schema.pop('$id', None)
        path.write_text(json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#'))
PY
  rm -rf "$schemas/unpacked" "$schemas/wheel"
  touch "$schemas/.complete"
fi

# The aggregator's autoscaler stops at the partitions of its largest input topic (one consumer group
# per pipeline): a replica past that count gets no partition. Read from the pipelines' definitions.
partitions=$(TS_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register -r tsconfig-paths/register -e "
  const { pipelines } = require('@pipeline/pipelines');
  const { TopicNamespace } = require('@pipeline/contracts');
  console.log(Object.values(pipelines).reduce((most, pipeline) => Math.max(most, pipeline.use(TopicNamespace.none, (definition) => definition.input.partitions)), 0));")

kubeconform() { # <kubernetes version> <file>
  "$tools/bin/kubeconform" -strict -summary -exit-on-error=false -kubernetes-version "$1" \
    -schema-location "$schemas/{{ .NormalizedKubernetesVersion }}{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$2"
}

status=0
for overlay in deploy/k8s/overlays/*/; do
  name=$(basename "$overlay")
  rendered="$tools/rendered-$name.yaml"
  "$tools/bin/kustomize" build "$overlay" > "$rendered"
  cap=$(sed -n 's/^ *maxReplicas: *//p' "$rendered")
  if [[ "$cap" != "$partitions" ]]; then
    echo "k8s: $name: the stream-aggregator autoscaler's maxReplicas is ${cap:-missing}, the largest input topic has $partitions partitions" >&2
    status=1
  fi
  for version in $KUBERNETES_VERSIONS; do
    echo "k8s: $name against Kubernetes $version"
    kubeconform "$version" "$rendered" || status=1
  done
done

# The check must be able to fail: a misspelt field in a copy has to be refused.
canary="$tools/canary.yaml"
sed 's/readOnlyRootFilesystem:/readOnlyRootFileSystem:/' "$tools/rendered-production.yaml" > "$canary"
if kubeconform "${KUBERNETES_VERSIONS%% *}" "$canary" > /dev/null; then
  echo "k8s: a misspelt field passed validation: the schemas are not strict" >&2
  status=1
fi
exit "$status"
