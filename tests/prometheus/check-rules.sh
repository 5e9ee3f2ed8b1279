#!/bin/sh
# Checks the Prometheus rules of contrib/prometheus (docs/operations.md,
# "Prometheus rules"):
#   1. promtool check rules: the file loads in Prometheus;
#   2. promtool test rules on contrib/prometheus/tests/*.yml: each rule does
#      what its tests say;
#   3. every alerting rule has a severity label and the annotations summary,
#      description and runbook_url, and is tested at least once firing and at
#      least twice quiet (before it fires, and once it resolved);
#   4. every runbook_url names a section that exists: a heading of the page
#      under docs/ (installed as /usr/share/doc/omswatch/), and every alert
#      appears in docs/operations.md;
#   5. every omswatch_* metric a rule reads is one /metrics exports (a row of
#      docs/http-api.md, "Metrics", which MetricsTest checks against the code).
# Usage: check-rules.sh SOURCE_DIR. Exits 0 when all hold, 1 otherwise, 127
# without promtool.
set -u
src=${1:?usage: check-rules.sh SOURCE_DIR}
rules=$src/contrib/prometheus/omswatch-rules.yml
tests_dir=$src/contrib/prometheus/tests
docs=$src/docs
runbook_base=file:///usr/share/doc/omswatch/
status=0
fail() {
  echo "FAIL: $*" >&2
  status=1
}

command -v promtool >/dev/null || {
  echo "promtool is missing: run scripts/install-deps.sh test" >&2
  exit 127
}

# 1 and 2.
promtool check rules "$rules" || fail "promtool check rules $rules"
set -- "$tests_dir"/*.yml
[ -f "$1" ] || fail "no promtool tests in $tests_dir"
promtool test rules "$@" || fail "promtool test rules $tests_dir/*.yml"

# 3. One line per alerting rule: NAME severity summary description runbook_url
# (each field 1 when present). A rule runs from its "- alert:" or "- record:"
# line to the next one or the next group.
alerts=$(awk '
  function flush() { if (name != "") print name, sev, sum, desc, (url == "" ? "-" : url) }
  /^[[:space:]]*- (alert|record|name):/ {
    flush(); name = ""; sev = sum = desc = 0; url = ""
    if ($2 == "alert:") name = $3
    next
  }
  name != "" && /^[[:space:]]+severity:/ { sev = 1 }
  name != "" && /^[[:space:]]+summary:/ { sum = 1 }
  name != "" && /^[[:space:]]+description:/ { desc = 1 }
  name != "" && /^[[:space:]]+runbook_url:/ { url = $2; gsub(/"/, "", url) }
  END { flush() }
' "$rules")
[ -n "$alerts" ] || fail "no alerting rule in $rules"

# Per alert name in the tests: "NAME firing" or "NAME quiet" for each
# alert_rule_test entry, from its alertname and the exp_alerts that follows.
checks=$(awk '
  /^[[:space:]]*(- )?alertname:/ { name = $NF; next }
  /^[[:space:]]*exp_alerts:/ && name != "" {
    print name, ($0 ~ /exp_alerts:[[:space:]]*\[\]/ ? "quiet" : "firing"); name = ""
  }
' "$tests_dir"/*.yml)

# Headings of a page as GitHub anchors: lower case, punctuation dropped,
# spaces as hyphens; fenced code blocks skipped.
anchors_of() {
  awk '
    /^```/ { fenced = !fenced; next }
    !fenced && /^#+ / {
      h = tolower($0); sub(/^#+ +/, "", h); gsub(/[^a-z0-9 _-]/, "", h); gsub(/ /, "-", h)
      print h
    }
  ' "$1"
}

echo "$alerts" | {
  status=0
  while read -r name sev sum desc url; do
    [ "$sev" = 1 ] || fail "$name: no severity label"
    [ "$sum" = 1 ] || fail "$name: no summary annotation"
    [ "$desc" = 1 ] || fail "$name: no description annotation"
    firing=$(echo "$checks" | grep -c "^$name firing\$")
    quiet=$(echo "$checks" | grep -c "^$name quiet\$")
    [ "$firing" -ge 1 ] || fail "$name: no promtool test where it fires"
    [ "$quiet" -ge 2 ] || fail "$name: $quiet promtool tests where it is quiet; need 2 (before it fires, after it resolved)"
    grep -q "\`$name\`" "$docs/operations.md" || fail "$name: not in docs/operations.md"
    case $url in
      "$runbook_base"*'#'*) ;;
      *) fail "$name: runbook_url '$url' is not $runbook_base<page>#<section>"; continue ;;
    esac
    page=${url#"$runbook_base"}
    anchor=${page#*#}
    page=${page%%#*}
    if [ ! -f "$docs/$page" ]; then
      fail "$name: runbook_url names docs/$page, which does not exist"
    elif ! anchors_of "$docs/$page" | grep -qx "$anchor"; then
      fail "$name: runbook_url names #$anchor, a section docs/$page does not have"
    fi
  done
  exit $status
} || status=1

# 5. Metric names in the rules (comments aside), histogram suffixes folded.
documented=$(sed -n 's/^| `\(omswatch_[a-z0-9_]*\)` |.*/\1/p' "$docs/http-api.md")
[ -n "$documented" ] || fail "no metric rows in docs/http-api.md"
used=$(sed 's/#.*//' "$rules" | grep -o 'omswatch_[a-z0-9_]*' | sort -u)
for metric in $used; do
  base=$metric
  case $metric in
    *_bucket | *_sum | *_count)
      base=${metric%_*}
      echo "$documented" | grep -qx "$base" || base=$metric
      ;;
  esac
  echo "$documented" | grep -qx "$base" || fail "$metric: not a metric omswatch exports (docs/http-api.md)"
done

if [ "$status" = 0 ]; then
  echo "$(echo "$alerts" | wc -l) alerting rules: checked, tested, documented"
fi
exit $status
