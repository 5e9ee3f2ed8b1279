// DescribeProjectSteps and ListProjectFullVerifyResult: a project's steps
// with their times and figures, and its full verification (parse.h).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ascii.h"
#include "common/time.h"
#include "oms/parse.h"
#include "oms/parse_fields.h"

namespace omswatch::oms {
namespace json = boost::json;
using namespace parse_detail;

namespace {

// Larger than any count of rows, rate or time a step reports (a million
// billion): beyond it a figure is garbage, not a measurement.
constexpr double kMaxFigure = 1e15;
// Tables kept of one page of verification results; the rest are only counted.
constexpr std::size_t kMaxVerifyTables = 1000;

StepError step_error_from(const json::object& step) {
  StepError e;
  const json::value* extra = field(step, "extraInfo");
  const json::object* where = (extra && extra->is_object()) ? &extra->get_object() : &step;
  e.error_code = text_of(field(*where, "errorCode"));
  e.error_msg = text_of(field(*where, "errorMsg"));
  if (e.error_msg.empty()) {
    // Some versions leave errorMsg empty and list the details instead.
    const json::value* details = field(*where, "errorDetails");
    if (details && details->is_array() && !details->get_array().empty()) {
      const json::value& first = details->get_array().front();
      e.error_msg = first.is_object()
                        ? text_of(first_field(first.get_object(), {"message", "msg", "reason"}))
                        : text_of(&first);
    }
  }
  return e;
}

// A time: Unix seconds, or milliseconds (by magnitude, as checkpoints), as a
// number or a string of digits; or a text such as "2024-09-13T09:08:34",
// which without a zone is UTC. Null, empty, zero, negative, malformed and
// out-of-range values are no time.
std::optional<std::int64_t> time_of(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_string()) {
    std::string_view s = trim_space(v->get_string());
    if (s.empty()) return std::nullopt;
    if (!is_decimal_integer(s)) {
      std::optional<SystemTime> t = parse_utc_time(s);
      if (!t) return std::nullopt;
      return std::chrono::floor<std::chrono::seconds>(t->time_since_epoch()).count();
    }
  }
  if (std::optional<std::int64_t> n = int64_of(v)) return checkpoint_seconds(*n);
  std::optional<double> d = number_of(v);
  if (!d || *d <= 0 || *d > 9.2e18) return std::nullopt;
  return checkpoint_seconds(static_cast<std::int64_t>(std::floor(*d)));
}

// A figure of stepInfo or a count of verification: a number or a numeric
// string, fractions rounded down. Negative and absurd values are dropped.
std::optional<std::int64_t> figure_of(const json::value* v) {
  std::optional<double> d = number_of(v);
  if (!d || *d < 0 || *d > kMaxFigure) return std::nullopt;
  return static_cast<std::int64_t>(std::floor(*d));
}

TransferInfo transfer_from(const json::object& info) {
  TransferInfo t;
  t.processed_records = figure_of(field(info, "processedRecords"));
  t.capacity = figure_of(field(info, "capacity"));
  t.src_rps = figure_of(field(info, "srcRps"));
  t.dst_rps = figure_of(field(info, "dstRps"));
  t.src_rt = figure_of(field(info, "srcRt"));
  t.dst_rt = figure_of(field(info, "dstRt"));
  t.src_iops = figure_of(field(info, "srcIops"));
  t.dst_iops = figure_of(field(info, "dstIops"));
  t.src_rps_ref = figure_of(field(info, "srcRpsRef"));
  t.dst_rps_ref = figure_of(field(info, "dstRpsRef"));
  t.src_rt_ref = figure_of(field(info, "srcRtRef"));
  t.dst_rt_ref = figure_of(field(info, "dstRtRef"));
  t.src_iops_ref = figure_of(field(info, "srcIopsRef"));
  return t;
}

IncrInfo incr_from(const json::object& info) {
  IncrInfo i;
  i.checkpoint = time_of(field(info, "incrTimestampCheckpoint"));
  i.sample_timestamp = time_of(field(info, "checkpointSampleTimestamp"));
  return i;
}

Expected<std::vector<ProjectStep>> steps_from(const json::value& data, const json::object&) {
  const json::object* wrapper = nullptr;
  const json::array* items = list_in(data, {"steps", "items", "list"}, &wrapper);
  if (!items) {
    return data.is_object() ? make_error("data is an object without a list of steps")
                            : wrong_kind("data", data, "an array of steps");
  }
  std::vector<ProjectStep> steps;
  for (const json::value& item : *items) {
    if (!item.is_object()) continue;
    const json::object& o = item.get_object();
    ProjectStep s;
    s.order = int_of(field(o, "order")).value_or(0);
    s.name = text_of(field(o, "name"));
    s.description = text_of(field(o, "description"));
    s.status = text_of(field(o, "status"));
    s.progress = progress_of(field(o, "progress"));
    s.error = step_error_from(o);
    s.start_time = time_of(field(o, "startTime"));
    s.finish_time = time_of(field(o, "finishTime"));
    const json::value* extra = field(o, "extraInfo");
    if (extra && extra->is_object())
      s.failed_time = time_of(field(extra->get_object(), "failedTime"));
    // Every step's stepInfo is read for both shapes: a figure a step does not
    // have stays empty.
    if (const json::value* info = field(o, "stepInfo"); info && info->is_object()) {
      s.transfer = transfer_from(info->get_object());
      s.incr = incr_from(info->get_object());
    }
    steps.push_back(std::move(s));
  }
  return steps;
}

VerifyTable verify_table_from(const json::object& o) {
  VerifyTable t;
  t.source_schema = text_of(field(o, "sourceSchemaName"));
  t.source_table = text_of(field(o, "sourceTableName"));
  t.dest_schema = text_of(field(o, "destSchemaName"));
  t.dest_table = text_of(field(o, "destTableName"));
  if (t.dest_table.empty()) t.dest_table = t.source_table;
  t.source_only = figure_of(field(o, "sourceOnlyCount")).value_or(0);
  t.dest_only = figure_of(field(o, "destOnlyCount")).value_or(0);
  t.mismatched = figure_of(field(o, "mismatchedCount")).value_or(0);
  t.consistent = figure_of(field(o, "consistentCount")).value_or(0);
  t.progress = text_of(field(o, "progress"));
  t.status = text_of(field(o, "status"));
  t.message = text_of(field(o, "message"));
  t.result_type = text_of(field(o, "resultType"));
  return t;
}

Expected<VerifyResult> verify_from(const json::value& data, const json::object& envelope) {
  VerifyResult result;
  const json::object* wrapper = nullptr;
  const json::array* tables =
      list_in(data, {"fullVerifyTableStatistics", "items", "list"}, &wrapper);
  if (!tables && !data.is_object()) return wrong_kind("data", data, "an object");
  if (data.is_object()) {
    wrapper = &data.get_object();
    result.different_number = figure_of(field(*wrapper, "differentNumber"));
  }
  std::int64_t seen = 0;
  if (tables) {
    for (const json::value& item : *tables) {
      if (!item.is_object()) continue;
      ++seen;
      if (result.tables.size() < kMaxVerifyTables) {
        result.tables.push_back(verify_table_from(item.get_object()));
      }
    }
  }
  std::optional<std::int64_t> total;
  if (wrapper) total = figure_of(field(*wrapper, "totalCount"));
  if (!total) total = figure_of(field(envelope, "totalCount"));
  result.total_tables = std::max(total.value_or(0), seen);
  return result;
}

}  // namespace

Expected<Reply<std::vector<ProjectStep>>> parse_project_steps_reply(std::string_view body) {
  return parse_reply<std::vector<ProjectStep>>(body, steps_from);
}

Expected<Reply<VerifyResult>> parse_verify_result_reply(std::string_view body) {
  return parse_reply<VerifyResult>(body, verify_from);
}

}  // namespace omswatch::oms
