#!/usr/bin/env bash
# The GitHub Action's run step (action.yml), also runnable locally (tests/test_cli.py does).
#
# Migrates the given paths in place with `dockerfix --write`, writes the pull-request body, and
# sets the step outputs body-path, body, changed-files and exit-code in $GITHUB_OUTPUT.  Exits
# with dockerfix's own exit code, so a workflow opens a pull request only when `--write` exited 0
# (and changed-files > 0).
#
# Environment: DOCKERFIX (the executable, default: dockerfix on PATH), INPUT_PATHS (default "."),
# INPUT_ARGS, LINK_BASE (optional: links path:line in the body), GITHUB_OUTPUT, RUNNER_TEMP.
set -uo pipefail

dockerfix=${DOCKERFIX:-dockerfix}
read -r -a paths <<< "${INPUT_PATHS:-.}"
read -r -a args <<< "${INPUT_ARGS:-}"
[ ${#paths[@]} -gt 0 ] || paths=(.)
out="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/dockerfix-$$"
mkdir -p "$out"
links=()
[ -z "${LINK_BASE:-}" ] || links=(--link-base "$LINK_BASE")

# First what would change (nothing is written: exit 1 only means "something to migrate") ...
"$dockerfix" --check --format json --output "$out/report.json" "${args[@]}" -- "${paths[@]}"
status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ] && [ "$status" -ne 123 ]; then
  echo "dockerfix could not run (exit $status)" >&2
  exit "$status"
fi
changed=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["changed"])' "$out/report.json")

# ... then the migration itself, with the pull-request body.
"$dockerfix" --write --format markdown --output "$out/body.md" "${links[@]}" "${args[@]}" -- "${paths[@]}"
status=$?

delimiter="dockerfix-body-$(date +%s)-$RANDOM$RANDOM"
{
  echo "body-path=$out/body.md"
  echo "changed-files=$changed"
  echo "exit-code=$status"
  echo "body<<$delimiter"
  cat "$out/body.md"
  echo "$delimiter"
} >> "${GITHUB_OUTPUT:-/dev/stdout}"
exit "$status"
