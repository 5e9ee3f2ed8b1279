#!/bin/sh
# Proves that check-rules.sh fails when the rules break: on copies of
# contrib/prometheus and docs/, each mutation below must make it exit 1 with
# the message named, while the unchanged copy passes.
# Usage: check-rules-catches.sh SOURCE_DIR
set -u
src=${1:?usage: check-rules-catches.sh SOURCE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
command -v promtool >/dev/null || {
  echo "promtool is missing: run scripts/install-deps.sh test" >&2
  exit 127
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# mutate NAME EXPECTED FILE SED_SCRIPT: FILE is relative to the source tree.
mutate() {
  name=$1 expected=$2 file=$3 script=$4
  rm -rf "$work/src"
  mkdir -p "$work/src/contrib"
  cp -R "$src/contrib/prometheus" "$work/src/contrib/"
  cp -R "$src/docs" "$work/src/docs"
  if [ -n "$file" ]; then
    cp "$work/src/$file" "$work/before"
    sed -i "$script" "$work/src/$file"
    if cmp -s "$work/before" "$work/src/$file"; then
      echo "NOT APPLIED: $name (the sed script changed nothing in $file)" >&2
      status=1
      return
    fi
  fi
  out=$(sh "$here/check-rules.sh" "$work/src" 2>&1)
  rc=$?
  if [ -z "$file" ]; then
    [ "$rc" = 0 ] || { echo "$out" >&2; echo "NOT CLEAN: the unchanged rules fail" >&2; status=1; }
    return
  fi
  if [ "$rc" = 1 ] && echo "$out" | grep -qF -- "$expected"; then
    echo "caught: $name"
  else
    echo "$out" >&2
    echo "MISSED: $name (exit $rc, expected a line with: $expected)" >&2
    status=1
  fi
}

rules=contrib/prometheus/omswatch-rules.yml
mutate "unchanged" "" "" ""
mutate "an expression that does not parse" "promtool check rules" "$rules" \
  's/up{job=~".\*omswatch.\*"} == 0/up{job=~".*omswatch.*"} ==/'
mutate "a threshold changed without its tests" "promtool test rules" "$rules" \
  's/(omswatch_project_incr_lag_seconds) > 300$/(omswatch_project_incr_lag_seconds) > 3000/'
mutate "a metric omswatch does not export" "omswatch_outbox_depth: not a metric omswatch exports" \
  "$rules" 's/min_over_time(omswatch_outbox_pending/min_over_time(omswatch_outbox_depth/'
mutate "a rule without a summary" "OmswatchDown: no summary annotation" "$rules" \
  '/summary: "omswatch {{ $labels.instance }} is down"/d'
mutate "an alert without tests" "OmswatchUntested: no promtool test where it fires" "$rules" \
  '$a\      - alert: OmswatchUntested\n        expr: omswatch_outbox_pending > 1000\n        labels:\n          severity: warning\n        annotations:\n          summary: "s"\n          description: "d"\n          runbook_url: "file:///usr/share/doc/omswatch/alerts.md#omswatchoutboxgrowing"'
mutate "a runbook section that was renamed" "runbook_url names #omswatchdown, a section docs/alerts.md does not have" \
  docs/alerts.md 's/^### OmswatchDown$/### When omswatch is down/'
mutate "a test that only ever sees it quiet" "OmswatchDeliveriesFailing: no promtool test where it fires" \
  contrib/prometheus/tests/deliveries.yml '/eval_time: 30m/,/runbook_url/{s/alertname: OmswatchDeliveriesFailing/alertname: OmswatchDeliveriesRetrying/}'
exit $status
