// The Grafana dashboard (contrib/grafana/omswatch-dashboard.json) against what
// the daemon exports: it imports and provisions without questions (no
// __inputs, a data source variable), promtool parses every PromQL expression in
// it, and every metric and label it names is one that /metrics shows. The list
// of metrics comes from rendering the registry itself, so a metric renamed in
// daemon/metrics.cpp fails this test until the dashboard follows.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/metrics.h"
#include "tests/daemon/busy_metrics.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace omswatch::daemon {
namespace {

namespace json = boost::json;

const std::string kDashboard =
    std::string(OMSWATCH_SOURCE_DIR) + "/contrib/grafana/omswatch-dashboard.json";

// Labels Prometheus adds to every scraped series.
const std::set<std::string> kTargetLabels = {"instance", "job"};

// Label names by sample name (omswatch_polls_total, omswatch_poll_duration_seconds_bucket...),
// read from an exposition in the text format.
using Exported = std::map<std::string, std::set<std::string>>;

Exported exported_series(const std::string& exposition) {
  Exported out;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto name_end = line.find_first_of("{ ");
    auto& labels = out[line.substr(0, name_end)];
    if (name_end == std::string::npos || line[name_end] != '{') continue;
    // name="value",name="value"}: values are quoted, with \" escaped.
    for (std::size_t i = name_end + 1; i < line.size() && line[i] != '}';) {
      const auto eq = line.find('=', i);
      labels.insert(line.substr(i, eq - i));
      i = eq + 2;
      while (i < line.size() && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
      i += 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
  }
  return out;
}

// The names a PromQL expression uses, from a lexer that knows just enough of
// the language: strings, label matchers, ranges, grouping lists, functions and
// keywords. promtool has already judged the syntax.
struct Selector {
  std::string metric;               // empty for {__name__=...}
  std::vector<std::string> labels;  // matcher label names
};
struct PromqlNames {
  std::vector<Selector> selectors;
  std::set<std::string> grouping_labels;  // by, without, on, ignoring, group_left/right
};

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// From an opening quote to just past its closing one (backquotes: no escapes).
std::size_t skip_string(std::string_view s, std::size_t i) {
  const char quote = s[i++];
  while (i < s.size() && s[i] != quote) i += (s[i] == '\\' && quote != '`') ? 2 : 1;
  return std::min(i + 1, s.size());
}

std::size_t read_ident(std::string_view s, std::size_t i, std::string& word) {
  const std::size_t start = i;
  while (i < s.size() && ident_char(s[i])) ++i;
  word.assign(s.substr(start, i - start));
  return i;
}

// From an opening `open` to just past its `close`, collecting the identifiers
// outside strings (label names, in matchers and grouping lists).
std::size_t read_names(std::string_view s, std::size_t i, char close, auto&& add) {
  ++i;
  while (i < s.size() && s[i] != close) {
    if (s[i] == '"' || s[i] == '\'' || s[i] == '`') {
      i = skip_string(s, i);
    } else if (ident_start(s[i])) {
      std::string word;
      i = read_ident(s, i, word);
      add(word);
    } else {
      ++i;
    }
  }
  return std::min(i + 1, s.size());
}

PromqlNames promql_names(std::string_view s) {
  static const std::set<std::string> kGrouping = {"by",       "without",    "on",
                                                  "ignoring", "group_left", "group_right"};
  static const std::set<std::string> kKeywords = {
      "and",          "or",      "unless", "bool",     "atan2",  "offset",     "inf",    "nan",
      "sum",          "min",     "max",    "avg",      "group",  "stddev",     "stdvar", "count",
      "count_values", "bottomk", "topk",   "quantile", "limitk", "limit_ratio"};
  PromqlNames out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = skip_string(s, i);
    } else if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '[') {
      while (i < s.size() && s[i] != ']') ++i;
    } else if (c == '{') {
      Selector sel;
      i = read_names(s, i, '}', [&](const std::string& w) { sel.labels.push_back(w); });
      out.selectors.push_back(std::move(sel));
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    } else if (ident_start(c)) {
      std::string word;
      i = read_ident(s, i, word);
      std::string lower;
      for (char ch : word) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const std::size_t next = skip_space(s, i);
      if (kGrouping.contains(lower)) {
        if (next < s.size() && s[next] == '(') {
          i = read_names(s, next, ')',
                         [&](const std::string& w) { out.grouping_labels.insert(w); });
        }
      } else if (kKeywords.contains(lower)) {
      } else if (next < s.size() && s[next] == '(') {
        // a function
      } else {
        Selector sel{word, {}};
        if (next < s.size() && s[next] == '{') {
          i = read_names(s, next, '}', [&](const std::string& w) { sel.labels.push_back(w); });
        }
        out.selectors.push_back(std::move(sel));
      }
    } else {
      ++i;
    }
  }
  return out;
}

// Grafana's template variables replaced by values PromQL accepts: the
// dashboard's own variables by a label value, Grafana's interval and range
// variables by durations or numbers. Names it does not know go to `unknown`.
std::string substitute(std::string_view text, const std::set<std::string>& variables,
                       std::vector<std::string>& unknown) {
  static const std::map<std::string, std::string> kBuiltins = {
      {"__rate_interval", "5m"},  {"__interval", "1m"},  {"__range", "1h"},
      {"__interval_ms", "60000"}, {"__range_s", "3600"}, {"__range_ms", "3600000"}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    std::string name;
    std::size_t end = i;
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      end = text.find('}', i);
      if (end == std::string_view::npos) end = text.size() - 1;
      name.assign(text.substr(i + 2, end - i - 2));
      name = name.substr(0, name.find(':'));  // ${var:regex}
      ++end;
    } else if (text[i] == '$' && i + 1 < text.size() && ident_start(text[i + 1])) {
      end = read_ident(text, i + 1, name);
    } else if (text.substr(i, 2) == "[[") {
      end = text.find("]]", i);
      if (end == std::string_view::npos) end = text.size() - 2;
      name.assign(text.substr(i + 2, end - i - 2));
      name = name.substr(0, name.find(':'));
      end += 2;
    } else {
      out += text[i++];
      continue;
    }
    if (auto b = kBuiltins.find(name); b != kBuiltins.end()) {
      out += b->second;
    } else if (variables.contains(name)) {
      out += "value";
    } else {
      unknown.push_back(name);
      out += "value";
    }
    i = end;
  }
  return out;
}

struct Expression {
  std::string where;   // the panel, target or variable, for messages
  std::string promql;  // variables substituted
};

struct Checked {
  std::vector<Expression> expressions;
  std::vector<std::string> problems;
};

// Every PromQL expression of a dashboard (each "expr" anywhere in the panels,
// rows included, and annotations; each variable's label_values() or
// query_result()), with what it names checked against `exported`.
Checked check_dashboard(const json::value& dash, const Exported& exported) {
  Checked out;
  std::set<std::string> all_labels = kTargetLabels;
  for (const auto& [name, labels] : exported) all_labels.insert(labels.begin(), labels.end());
  std::set<std::string> variables;
  const json::array* vars = nullptr;
  if (const auto* t = dash.as_object().if_contains("templating")) {
    vars = &t->at("list").as_array();
    for (const auto& v : *vars) variables.insert(std::string(v.at("name").as_string()));
  }

  auto check_names = [&](const std::string& where, const std::string& promql) {
    const PromqlNames names = promql_names(promql);
    for (const auto& sel : names.selectors) {
      const auto it = exported.find(sel.metric);
      if (it == exported.end()) {
        out.problems.push_back(where + ": metric \"" + sel.metric +
                               "\" is not one omswatch exports");
        continue;
      }
      for (const auto& label : sel.labels) {
        if (!it->second.contains(label) && !kTargetLabels.contains(label)) {
          out.problems.push_back(where + ": " + sel.metric + " has no label \"" + label + "\"");
        }
      }
    }
    for (const auto& label : names.grouping_labels) {
      if (!all_labels.contains(label)) {
        out.problems.push_back(where + ": no omswatch metric has the label \"" + label + "\"");
      }
    }
  };
  auto add = [&](const std::string& where, std::string_view text) {
    std::vector<std::string> unknown;
    std::string promql = substitute(text, variables, unknown);
    for (const auto& name : unknown) {
      out.problems.push_back(where + ": unknown variable $" + name);
    }
    check_names(where, promql);
    out.expressions.push_back({where, std::move(promql)});
  };

  // Panels, rows and annotations: every object with an "expr".
  auto walk = [&](auto&& self, const json::value& v, const std::string& context) -> void {
    if (const auto* o = v.if_object()) {
      std::string here = context;
      if (const auto* t = o->if_contains("title"); t && t->is_string()) {
        here = "\"" + std::string(t->as_string()) + "\"";
      }
      if (const auto* e = o->if_contains("expr"); e && e->is_string()) {
        std::string where = here;
        if (const auto* r = o->if_contains("refId"); r && r->is_string()) {
          where += " target " + std::string(r->as_string());
        }
        add(where, e->as_string());
        if (const auto* l = o->if_contains("legendFormat"); l && l->is_string()) {
          const std::string_view legend = l->as_string();
          for (auto p = legend.find("{{"); p != std::string_view::npos;
               p = legend.find("{{", p + 2)) {
            std::string label(legend.substr(p + 2, legend.find("}}", p) - p - 2));
            std::erase(label, ' ');
            if (!all_labels.contains(label)) {
              out.problems.push_back(where + ": legend names the label \"" + label +
                                     "\" that no omswatch metric has");
            }
          }
        }
      }
      for (const auto& [key, child] : *o) {
        if (key != "templating") self(self, child, here);
      }
    } else if (const auto* a = v.if_array()) {
      for (const auto& child : *a) self(self, child, context);
    }
  };
  walk(walk, dash, "dashboard");

  // Query variables: label_values(selector, label), label_values(label) or
  // query_result(expr).
  for (const auto& v : vars ? *vars : json::array()) {
    if (v.at("type").as_string() != "query") continue;
    const std::string where = "variable $" + std::string(v.at("name").as_string());
    const json::value& q = v.at("query");
    const std::string query(q.is_string() ? q.as_string() : q.at("query").as_string());
    const auto open = query.find('(');
    const std::string function = query.substr(0, open);
    const std::string args =
        open == std::string::npos ? "" : query.substr(open + 1, query.rfind(')') - open - 1);
    if (function == "query_result") {
      add(where, args);
    } else if (function == "label_values") {
      const auto comma = args.rfind(',');
      std::string label = args.substr(comma == std::string::npos ? 0 : comma + 1);
      std::erase(label, ' ');
      if (comma == std::string::npos) {
        if (!all_labels.contains(label)) {
          out.problems.push_back(where + ": no omswatch metric has the label \"" + label + "\"");
        }
        continue;
      }
      const std::string selector = args.substr(0, comma);
      add(where, selector);
      const auto metric = promql_names(out.expressions.back().promql).selectors;
      if (!metric.empty() && exported.contains(metric.front().metric) &&
          !exported.at(metric.front().metric).contains(label) && !kTargetLabels.contains(label)) {
        out.problems.push_back(where + ": " + metric.front().metric + " has no label \"" + label +
                               "\"");
      }
    } else {
      out.problems.push_back(where + ": a query this test cannot check: " + query);
    }
  }
  return out;
}

// promtool's verdict on expressions, each a recording rule of one rules file.
omswatch::testing::Captured promtool_parse(const std::vector<Expression>& expressions,
                                           const omswatch::testing::TempDir& dir) {
  const std::string path = dir.file("dashboard-rules.yml");
  {
    std::ofstream out(path, std::ios::binary);
    out << "groups:\n  - name: dashboard\n    rules:\n";
    for (std::size_t i = 0; i < expressions.size(); ++i) {
      // A JSON string is a YAML double-quoted scalar.
      out << "      - record: dashboard:expr_" << i
          << "\n        expr: " << json::serialize(json::string(expressions[i].promql)) << "\n";
    }
  }
  return omswatch::testing::run_command(
      {"/bin/sh", "-c",
       "command -v promtool >/dev/null || { echo 'promtool is missing: run "
       "scripts/install-deps.sh' >&2; exit 127; }; promtool check rules \"$0\"",
       path},
      dir.path().string());
}

std::string listing(const std::vector<Expression>& expressions) {
  std::string out;
  for (std::size_t i = 0; i < expressions.size(); ++i) {
    out += "dashboard:expr_" + std::to_string(i) + "  " + expressions[i].where + ": " +
           expressions[i].promql + "\n";
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

json::value read_dashboard() {
  const std::string text = omswatch::testing::read_file(kDashboard);
  EXPECT_FALSE(text.empty()) << kDashboard;
  return json::parse(text);
}

Exported omswatch_exports() {
  Metrics metrics("1.2.3");
  test::populate(metrics);
  return exported_series(metrics.render());
}

TEST(GrafanaDashboard, ImportsAndProvisionsWithADataSourceVariable) {
  const json::value dash = read_dashboard();
  const json::object& d = dash.as_object();
  // __inputs makes provisioning fail ("datasource ${DS_...} was not found").
  EXPECT_FALSE(d.contains("__inputs"));
  EXPECT_FALSE(d.contains("__requires"));
  EXPECT_GE(d.at("schemaVersion").as_int64(), 39);
  EXPECT_EQ(d.at("uid").as_string(), "omswatch");
  EXPECT_TRUE(d.at("id").is_null());

  std::map<std::string, json::object> vars;
  for (const auto& v : d.at("templating").at("list").as_array()) {
    vars[std::string(v.at("name").as_string())] = v.as_object();
  }
  ASSERT_TRUE(vars.contains("datasource"));
  EXPECT_EQ(vars["datasource"].at("type").as_string(), "datasource");
  EXPECT_EQ(vars["datasource"].at("query").as_string(), "prometheus");
  for (const char* name : {"oms", "project"}) {
    ASSERT_TRUE(vars.contains(name)) << name;
    EXPECT_EQ(vars[name].at("type").as_string(), "query") << name;
    EXPECT_TRUE(vars[name].at("multi").as_bool()) << name;
    EXPECT_TRUE(vars[name].at("includeAll").as_bool()) << name;
  }

  // Every Prometheus query goes to the data source the variable chose, and
  // panel ids are unique (rows' panels included).
  std::set<std::int64_t> ids;
  std::vector<std::string> problems;
  auto walk = [&](auto&& self, const json::value& v, const std::string& context) -> void {
    if (const auto* o = v.if_object()) {
      std::string here = context;
      if (const auto* t = o->if_contains("title"); t && t->is_string()) {
        here = std::string(t->as_string());
      }
      if (o->contains("gridPos") && o->contains("id")) {
        if (!ids.insert(o->at("id").as_int64()).second) problems.push_back(here + ": id twice");
      }
      if (const auto* ds = o->if_contains("datasource"); ds && ds->is_object()) {
        const auto* type = ds->as_object().if_contains("type");
        const auto* uid = ds->as_object().if_contains("uid");
        if (type && type->is_string() && type->as_string() == "prometheus" &&
            !(uid && uid->is_string() && uid->as_string() == "${datasource}")) {
          problems.push_back(here + ": a data source other than ${datasource}");
        }
      }
      for (const auto& [key, child] : *o) self(self, child, here);
    } else if (const auto* a = v.if_array()) {
      for (const auto& child : *a) self(self, child, context);
    }
  };
  walk(walk, dash, "dashboard");
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST(GrafanaDashboard, NamesOnlyMetricsAndLabelsOmswatchExports) {
  const Checked checked = check_dashboard(read_dashboard(), omswatch_exports());
  EXPECT_TRUE(checked.problems.empty()) << joined(checked.problems);
  // Every panel's queries and both variables' were seen.
  EXPECT_GE(checked.expressions.size(), 25u) << listing(checked.expressions);
}

TEST(GrafanaDashboard, PromtoolParsesEveryExpression) {
  const Checked checked = check_dashboard(read_dashboard(), omswatch_exports());
  ASSERT_FALSE(checked.expressions.empty());
  omswatch::testing::TempDir dir;
  const auto result = promtool_parse(checked.expressions, dir);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err << listing(checked.expressions);
}

// The two checks above catch a dashboard that drifts from /metrics.
TEST(GrafanaDashboard, ADriftingDashboardIsCaught) {
  // clang-format off
  const json::value dash = json::parse(R"json({
    "templating": {"list": [
      {"name": "oms", "type": "query", "query": "label_values(omswatch_polls_total, omz)"},
      {"name": "project", "type": "query",
       "query": {"query": "label_values(omswatch_project_state{oms=~\"$oms\"}, project_id)"}}]},
    "panels": [
      {"type": "row", "title": "Row", "collapsed": true, "panels": [
        {"title": "Latency", "targets": [{"refId": "A", "expr":
          "histogram_quantile(0.9, sum by (le) (rate(omswatch_poll_duration_seconds[5m])))"}]}]},
      {"title": "Lag", "targets": [
        {"refId": "A", "legendFormat": "{{ project_name }}", "expr":
          "max by (oms, project) (omswatch_project_incr_lag_seconds{projet_id=~\"$projet\"})"},
        {"refId": "B", "expr": "omswatch:lag:max"}]}]
  })json");
  // clang-format on
  const Checked checked = check_dashboard(dash, omswatch_exports());
  const std::string problems = joined(checked.problems);
  for (const char* expected :
       {"variable $oms: omswatch_polls_total has no label \"omz\"",
        "variable $project: metric \"omswatch_project_state\" is not one omswatch exports",
        "\"Latency\" target A: metric \"omswatch_poll_duration_seconds\" is not one omswatch "
        "exports",
        "\"Lag\" target A: unknown variable $projet",
        "\"Lag\" target A: omswatch_project_incr_lag_seconds has no label \"projet_id\"",
        "\"Lag\" target A: no omswatch metric has the label \"project\"",
        "\"Lag\" target A: legend names the label \"project_name\"",
        "\"Lag\" target B: metric \"omswatch:lag:max\" is not one omswatch exports"}) {
    EXPECT_NE(problems.find(expected), std::string::npos) << expected << "\n" << problems;
  }
  EXPECT_EQ(checked.problems.size(), 8u) << problems;

  omswatch::testing::TempDir dir;
  const auto broken = promtool_parse(
      {{"\"Broken\" target A", "sum by (oms) (rate(omswatch_polls_total[5m])"}}, dir);
  EXPECT_NE(broken.exit_code, 0) << broken.out << broken.err;
}

TEST(GrafanaDashboard, ThePromqlLexerFindsMetricsAndLabelsOnly) {
  const PromqlNames n = promql_names(
      "sum without (instance) (rate(a_total{x=~\"b{c}\", y!='d'}[5m] offset 1h)) "
      "/ on (oms) group_left (z) max(b:c) > bool 0.5e3 or label_replace(d, \"e\", \"$1\", \"f\", "
      "\"(.*)\") unless count by (g) (h @ start())");
  std::vector<std::string> metrics;
  for (const auto& s : n.selectors) metrics.push_back(s.metric);
  EXPECT_EQ(metrics, (std::vector<std::string>{"a_total", "b:c", "d", "h"}));
  EXPECT_EQ(n.selectors[0].labels, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(n.grouping_labels, (std::set<std::string>{"instance", "oms", "z", "g"}));
}

TEST(GrafanaDashboard, TemplateVariablesBecomeValuesPromqlAccepts) {
  std::vector<std::string> unknown;
  EXPECT_EQ(
      substitute("rate(m{a=~\"$oms\",b=~\"${project:regex}\",c=\"[[oms]]\"}[$__rate_interval])"
                 " / $__range_s",
                 {"oms", "project"}, unknown),
      "rate(m{a=~\"value\",b=~\"value\",c=\"value\"}[5m]) / 3600");
  EXPECT_TRUE(unknown.empty());
  substitute("m{a=\"$nope\"}[${__intreval}]", {"oms"}, unknown);
  EXPECT_EQ(unknown, (std::vector<std::string>{"nope", "__intreval"}));
}

TEST(GrafanaDashboard, TheExportedListHasEveryLabelOfTheExposition) {
  const Exported e = exported_series(
      "# TYPE m gauge\nm{a=\"x\\\"y,z=\\\\\",b=\"\"} 1\nn 2\n"
      "h_bucket{oms=\"p\",le=\"+Inf\"} 3\n");
  EXPECT_EQ(e.at("m"), (std::set<std::string>{"a", "b"}));
  EXPECT_TRUE(e.at("n").empty());
  EXPECT_EQ(e.at("h_bucket"), (std::set<std::string>{"oms", "le"}));
}

}  // namespace
}  // namespace omswatch::daemon
