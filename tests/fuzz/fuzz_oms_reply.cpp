// Fuzzes what omswatch reads from an OMS reply: the five OpenAPI reply parsers
// (their error envelope included) and the Date header, which lag is measured
// against. The first byte of the input chooses the reader (p progress, s steps,
// l ListProjects, d DescribeProject, v ListProjectFullVerifyResult, D the Date
// header; other bytes by value), the rest is the body (or header value), so
// seeds are readable files. Besides crashes, leaks and undefined behaviour, it
// stops on a broken promise of oms/parse.h: a progress outside 0..100, text
// longer than the bound or not UTF-8, a checkpoint or step time that is not
// positive, a step figure or verification count that is negative or above
// 10^15, more than 1,000 verification tables.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>

#include "oms/http_date.h"
#include "oms/parse.h"

namespace {

using namespace omswatch::oms;

// parse.h: text is cut at 4096 bytes, "..." marks the cut.
constexpr std::size_t kMaxText = 4096 + 3;

[[noreturn]] void broken(const char* what, std::string_view value) {
  std::fprintf(stderr, "broken promise: %s (%zu bytes)\n", what, value.size());
  std::abort();
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80                 ? 1
                      : c >= 0xC2 && c <= 0xDF ? 2
                      : c >= 0xE0 && c <= 0xEF ? 3
                      : c >= 0xF0 && c <= 0xF4 ? 4
                                               : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

void check_text(const std::string& s, const char* what) {
  if (s.size() > kMaxText) broken(what, s);
  if (!valid_utf8(s)) broken(what, s);
}

void check_progress(const std::optional<int>& p) {
  if (p && (*p < 0 || *p > 100)) broken("progress outside 0..100", std::to_string(*p));
}

void check_time(const std::optional<std::int64_t>& t, const char* what) {
  if (t && (*t <= 0 || *t >= 7'258'118'400)) broken(what, std::to_string(*t));
}

void check_figure(const std::optional<std::int64_t>& n, const char* what) {
  if (n && (*n < 0 || *n > 1'000'000'000'000'000)) broken(what, std::to_string(*n));
}

void check_checkpoint(const Checkpoint& cp) {
  check_text(cp.raw, "checkpoint text");
  if (cp.unix_seconds && (*cp.unix_seconds <= 0 || *cp.unix_seconds > 100'000'000'000)) {
    broken("checkpoint seconds", cp.raw);
  }
  if (cp.unix_seconds && cp.raw.empty()) broken("checkpoint time without its text", cp.raw);
}

template <class T>
void check_envelope(const Reply<T>& r) {
  check_text(r.error.code, "error code");
  check_text(r.error.message, "error message");
  check_text(r.error.advice, "error advice");
  check_text(r.request_id, "requestId");
  check_text(r.cost, "cost");
  if (!r.success && r.data) broken("data of a failed reply", "");
}

void progress(std::string_view body) {
  auto r = parse_progress_reply(body);
  if (!r) return;
  check_envelope(*r);
  if (!r->data) return;
  const ProjectProgress& p = *r->data;
  for (const std::string* s : {&p.project_id, &p.status, &p.alarm_level, &p.current_step}) {
    check_text(*s, "progress field");
  }
  check_progress(p.struct_transfer_progress);
  check_progress(p.full_transfer_progress);
  check_checkpoint(p.incr_sync_checkpoint);
  check_checkpoint(p.reverse_incr_transfer_checkpoint);
}

void list_projects(std::string_view body) {
  auto r = parse_list_projects_reply(body);
  if (!r) return;
  check_envelope(*r);
  if (!r->data) return;
  if (r->data->total_count < 0) broken("negative totalCount", "");
  for (const ProjectSummary& s : r->data->items) {
    for (const std::string* t : {&s.id, &s.name, &s.type, &s.status, &s.importance}) {
      check_text(*t, "project field");
    }
    for (const std::string& label : s.labels) check_text(label, "label");
  }
}

void steps(std::string_view body) {
  auto r = parse_project_steps_reply(body);
  if (!r) return;
  check_envelope(*r);
  if (!r->data) return;
  for (const ProjectStep& s : *r->data) {
    for (const std::string* t :
         {&s.name, &s.description, &s.status, &s.error.error_code, &s.error.error_msg}) {
      check_text(*t, "step field");
    }
    check_progress(s.progress);
    check_time(s.start_time, "step start time");
    check_time(s.finish_time, "step finish time");
    check_time(s.failed_time, "step failed time");
    check_time(s.incr.checkpoint, "step checkpoint");
    check_time(s.incr.sample_timestamp, "step checkpoint sample");
    const TransferInfo& t = s.transfer;
    for (const auto* n : {&t.processed_records, &t.capacity, &t.src_rps, &t.dst_rps, &t.src_rt,
                          &t.dst_rt, &t.src_iops, &t.dst_iops, &t.src_rps_ref, &t.dst_rps_ref,
                          &t.src_rt_ref, &t.dst_rt_ref, &t.src_iops_ref}) {
      check_figure(*n, "step figure");
    }
  }
}

void verify_result(std::string_view body) {
  auto r = parse_verify_result_reply(body);
  if (!r) return;
  check_envelope(*r);
  if (!r->data) return;
  const VerifyResult& v = *r->data;
  check_figure(v.different_number, "differentNumber");
  if (v.tables.size() > 1000) broken("more than 1,000 tables", "");
  if (v.total_tables < static_cast<std::int64_t>(v.tables.size())) broken("totalCount", "");
  for (const VerifyTable& t : v.tables) {
    for (const std::string* s : {&t.source_schema, &t.source_table, &t.dest_schema, &t.dest_table,
                                 &t.progress, &t.status, &t.message, &t.result_type}) {
      check_text(*s, "verification table field");
    }
    for (std::int64_t n : {t.source_only, t.dest_only, t.mismatched, t.consistent}) {
      check_figure(n, "verification count");
    }
  }
}

void describe_project(std::string_view body) {
  auto r = parse_project_reply(body);
  if (!r) return;
  check_envelope(*r);
  if (!r->data) return;
  const ProjectInfo& i = *r->data;
  for (const std::string* t : {&i.id, &i.name, &i.type, &i.importance, &i.status}) {
    check_text(*t, "project field");
  }
}

void date_header(std::string_view value) {
  auto t = parse_http_date(value);
  if (!t) return;
  // What was read must print back as a date that reads as the same time.
  auto again = parse_http_date(format_http_date(*t));
  if (!again || *again != *t) broken("Date does not read back", value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr void (*kAll[])(std::string_view) = {progress,         steps,         list_projects,
                                                describe_project, verify_result, date_header};
  switch (data[0]) {
    case 'p':
      progress(body);
      break;
    case 's':
      steps(body);
      break;
    case 'l':
      list_projects(body);
      break;
    case 'd':
      describe_project(body);
      break;
    case 'v':
      verify_result(body);
      break;
    case 'D':
      date_header(body);
      break;
    default:
      kAll[data[0] % std::size(kAll)](body);
  }
  return 0;
}
