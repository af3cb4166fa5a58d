#!/usr/bin/env bash
# Validates the deployment files for real, without a Docker engine or a cluster (issue 9, item 7):
#   Dockerfile           hadolint, then the image's required properties (scripts/deploy-check/dockerfile-rules.ts)
#   deploy/helm/stategate  helm lint --strict, helm template (and the chart's refusal to render without auth)
#   deploy/k8s + rendered  kubeconform -strict against the official schemas of each KUBERNETES_VERSIONS entry;
#                        probes, resources, kinds and selectors (scripts/deploy-check/k8s-rules.ts)
#   docker-compose*.yml  loaded by the Compose Specification's own loader (tools/compose-check: JSON schema,
#                        interpolation, the NATS file merged on top); the front's haproxy.cfg by haproxy -c
#   every sample's env   the server's loadConfig on the image's ENV plus the sample's STATEGATE_* settings
#   the image's CMD      run here as the container would, HEALTHCHECK included (scripts/deploy-check/run-image.ts;
#                        needs dist/, i.e. npm run build)
# Prints `ok <check>` or `not ok <check>: <why>` per check and exits 1 if any failed. A missing tool is a
# failure, never a skip: scripts/install-tools.sh installs them all.
# DEPLOY_FILES_DIR: check the deployment files of another directory laid out like this checkout (the test
# plants mistakes in a copy); the checkout still provides the tools, src/ and dist/.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
files="${DEPLOY_FILES_DIR:-$root}"
source scripts/deploy-check/venv.sh
KUBERNETES_VERSIONS="${KUBERNETES_VERSIONS:-1.30.0 1.37.0}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
# One line per check: a tool's multi-line output is joined with " | ".
not_ok() {
  local why="${2//$'\n'/ | }"
  echo "not ok $1${why:+: $why}"
  failed=$((failed + 1))
}
# check NAME COMMAND...: ok when COMMAND exits 0, else not ok with its output.
check() {
  local name=$1 output
  shift
  if output="$("$@" 2>&1)"; then ok "$name"; else not_ok "$name" "$output"; fi
}
# node_check SUBCOMMAND ARGS...: scripts/deploy-check/cli.ts prints its own ok / not ok lines.
# A non-zero exit without a `not ok` line (a crash) is a failure of its own.
node_check() {
  local line reported=0
  while IFS= read -r line; do
    case "$line" in
      "ok "*) ok "${line#ok }" ;;
      "not ok "*) not_ok "${line#not ok }" "" && reported=1 ;;
      "exit 0") ;;
      "exit "*) [ "$reported" -eq 1 ] || not_ok "deploy-check $1" "ended with ${line}" ;;
      *) echo "  $line" ;;
    esac
  done < <(node --import tsx scripts/deploy-check/cli.ts "$@" 2>&1; echo "exit $?")
}

gobin="$(go env GOPATH 2>/dev/null)/bin"
tool() { # tool NAME PATH: ok when the file is executable
  if [ -x "$2" ]; then ok "tool $1 ($2)"; else not_ok "tool $1" "$2 missing: run scripts/install-tools.sh"; fi
}
helm="$gobin/helm" kubeconform="$gobin/kubeconform" opa="$gobin/opa" hadolint="$DEPLOY_TOOLS_VENV/bin/hadolint"
schemas="$("$DEPLOY_TOOLS_VENV/bin/python" -c 'import kubernetes_validate, os; print(os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema"))' 2>/dev/null)"
tool helm "$helm"
tool kubeconform "$kubeconform"
tool hadolint "$hadolint"
tool opa "$opa"
tool haproxy "$HAPROXY_DIR/usr/sbin/haproxy"
if [ -d "$schemas" ]; then ok "tool kubernetes schemas ($schemas)"; else not_ok "tool kubernetes schemas" "kubernetes-validate missing from $DEPLOY_TOOLS_VENV: run scripts/install-tools.sh"; fi
check "tool compose-check (go build tools/compose-check)" bash -c "cd tools/compose-check && go build -o '$work/compose-check' ."

# --- Dockerfile ---
check "hadolint Dockerfile" "$hadolint" "$files/Dockerfile"
node_check dockerfile "$files/Dockerfile"

# --- Helm ---
chart="$files/deploy/helm/stategate"
check "helm lint --strict deploy/helm/stategate" "$helm" lint --strict "$chart"
check "helm template deploy/helm/stategate" bash -c "'$helm' template stategate '$chart' > '$work/helm.yaml'"
check "helm template deploy/helm/stategate --set auth.disabled=true" bash -c "'$helm' template stategate '$chart' --set auth.disabled=true > '$work/helm-noauth.yaml'"
if output="$("$helm" template stategate "$chart" --set auth.jwksUri= 2>&1)"; then
  not_ok "helm refuses a release without authentication" "rendered without auth.jwksUri or auth.disabled"
else
  case "$output" in *"set auth.jwksUri"*) ok "helm refuses a release without authentication" ;;
    *) not_ok "helm refuses a release without authentication" "$output" ;; esac
fi

# --- Kubernetes schemas ---
k8s="$files/deploy/k8s"
manifests=("$k8s/configmap.yaml" "$k8s/secret.yaml" "$k8s/deployment.yaml" "$k8s/service.yaml" "$k8s/hpa.yaml"
  "$k8s/pdb.yaml" "$k8s/networkpolicy.yaml")
for file in "$k8s"/*.yaml; do
  case " ${manifests[*]} $k8s/kustomization.yaml " in *" $file "*) ;; *) not_ok "deploy/k8s listed" "$file is not checked: add it to validate-deploy.sh" ;; esac
done
for version in $KUBERNETES_VERSIONS; do
  node_check k8s-schemas "$schemas" "$version" "$work/schemas" "${manifests[@]}" "$work/helm.yaml" "$work/helm-noauth.yaml"
  check "kubeconform -strict Kubernetes $version: deploy/k8s and the rendered chart" "$kubeconform" -strict -summary \
    -kubernetes-version "$version" \
    -schema-location "$work/schemas/{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json" \
    "${manifests[@]}" "$work/helm.yaml" "$work/helm-noauth.yaml"
done
node_check k8s-rules deploy/k8s "${manifests[@]}"
node_check k8s-rules helm "$work/helm.yaml"
node_check k8s-rules "helm auth.disabled" "$work/helm-noauth.yaml"
# kustomization.yaml is no cluster object: check that it names exactly the manifests above.
check "deploy/k8s/kustomization.yaml lists every manifest" node --input-type=module -e "
  import { readFileSync } from 'node:fs'; import { parse } from 'yaml';
  const [dir, ...expected] = process.argv.slice(1);
  const listed = parse(readFileSync(dir + '/kustomization.yaml', 'utf8')).resources.map((r) => dir + '/' + r).sort();
  expected.sort();
  if (JSON.stringify(listed) !== JSON.stringify(expected)) { console.error(listed, expected); process.exit(1); }
" "$k8s" "${manifests[@]}"

# --- Compose ---
check "compose docker-compose.yml" bash -c "'$work/compose-check' '$files/docker-compose.yml' > '$work/compose.json'"
check "compose docker-compose.yml + docker-compose.nats.yml" bash -c \
  "'$work/compose-check' '$files/docker-compose.yml' '$files/docker-compose.nats.yml' > '$work/compose-nats.json'"

check "haproxy -c deploy/compose/haproxy.cfg" env LD_LIBRARY_PATH="$HAPROXY_LIBS" "$HAPROXY_DIR/usr/sbin/haproxy" -c \
  -f "$files/deploy/compose/haproxy.cfg"

# --- every sample's STATEGATE_* settings, through loadConfig ---
node_check env "$files/Dockerfile" "compose:compose=$work/compose.json" "compose:compose+nats=$work/compose-nats.json" \
  "k8s:deploy/k8s=$(IFS=,; echo "${manifests[*]}")" "k8s:helm=$work/helm.yaml" "k8s:helm auth.disabled=$work/helm-noauth.yaml"

# --- the image's entrypoint ---
if [ -f dist/main.js ]; then
  node_check run-image "$files/Dockerfile" "$root" "$opa"
else
  not_ok "run-image" "dist/main.js missing: run npm run build"
fi

if [ "$failed" -eq 0 ]; then
  echo "validate-deploy: all $passed checks passed"
else
  echo "validate-deploy: $failed of $((passed + failed)) checks failed"
  exit 1
fi
