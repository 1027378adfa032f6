# Schemathesis (PyPI) in a virtualenv of its own, outside the build tree:
# scripts/setup installs it, scripts/contract runs it.
SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS_VENV=${FAULTLINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/faultline}/schemathesis-$SCHEMATHESIS_VERSION

schemathesis_install() {
  if [[ -x "$SCHEMATHESIS_VENV/bin/st" ]] &&
    "$SCHEMATHESIS_VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "setup: Schemathesis $SCHEMATHESIS_VERSION already installed"
    return 0
  fi
  echo "setup: installing Schemathesis $SCHEMATHESIS_VERSION into $SCHEMATHESIS_VENV"
  rm -rf "$SCHEMATHESIS_VENV"
  mkdir -p "$(dirname "$SCHEMATHESIS_VENV")"
  python3 -m venv "$SCHEMATHESIS_VENV"
  "$SCHEMATHESIS_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}

schemathesis_ready() {
  [[ -x "$SCHEMATHESIS_VENV/bin/st" ]] || {
    echo "Schemathesis is not installed in $SCHEMATHESIS_VENV (run scripts/setup)" >&2
    return 1
  }
}

# schemathesis_run DOCUMENT BASE TOKEN EXAMPLES SECONDS REPORT_DIR [st options...]:
# every operation (but those that end or revoke sessions, which could end
# its own, unless options choose), positive and negative data, the five conformance checks.
# Never the paths marked `x-faultline-service: ingest`: faultline-ingest serves
# them, not the faultline-api at BASE.
schemathesis_run() {
  local document base=$2 token=$3 examples=$4 seconds=$5 reports=$6
  document=$(realpath "$1")
  shift 6
  local filter=()
  for id in logout logoutAll revokeSession revokeOtherSessions; do filter+=(--exclude-operation-id "$id"); done
  (($#)) && filter=("$@")
  local path
  while IFS= read -r path; do
    [[ -n "$path" ]] && filter+=(--exclude-path "$path")
  done < <(jq -r '.paths | to_entries[] | select(.value["x-faultline-service"] == "ingest") | .key' "$document")
  mkdir -p "$reports"
  # In the report directory: Schemathesis keeps its .schemathesis/ cache where it runs.
  local config
  config=$(realpath tests/contract/schemathesis.toml)
  (cd "$reports" && "$SCHEMATHESIS_VENV/bin/st" --config-file "$config" run "$document" --url "$base" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing,stateful --mode all \
    --max-examples "$examples" ${seconds:+--max-time "$seconds"} \
    --seed "${FAULTLINE_SCHEMATHESIS_SEED:-20261201}" --workers 1 --request-timeout 30 \
    --report junit,ndjson --report-dir . --no-color \
    "${filter[@]}")
}
