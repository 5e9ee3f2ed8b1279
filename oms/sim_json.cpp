#include "oms/sim_json.h"

#include <algorithm>

#include "common/time.h"

namespace omswatch::oms {
namespace json = boost::json;

json::value text_or_null(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

// A checkpoint goes out as OMS sends it: a number when it is one, the raw
// string otherwise ("12,4096" of a Sybase source).
static json::value checkpoint_json(const Checkpoint& c) {
  if (!c.present()) return nullptr;
  if (c.unix_seconds && c.raw == std::to_string(*c.unix_seconds)) return *c.unix_seconds;
  return json::value(c.raw);
}

json::object progress_json(const ProjectProgress& p) {
  return json::object{
      {"projectId", p.project_id},
      {"status", text_or_null(p.status)},
      {"alarmLevel", text_or_null(p.alarm_level)},
      {"enableIncrSync", optional_or_null(p.enable_incr_sync)},
      {"currentStep", text_or_null(p.current_step)},
      {"incrSyncCheckpoint", checkpoint_json(p.incr_sync_checkpoint)},
      {"enableStructTransfer", optional_or_null(p.enable_struct_transfer)},
      {"enableFullTransfer", optional_or_null(p.enable_full_transfer)},
      {"structTransferProgress", optional_or_null(p.struct_transfer_progress)},
      {"fullTransferProgress", optional_or_null(p.full_transfer_progress)},
      {"enableReverseIncrTransfer", optional_or_null(p.enable_reverse_incr_transfer)},
      {"reverseIncrTransferCheckpoint", checkpoint_json(p.reverse_incr_transfer_checkpoint)},
  };
}

// A time as OMS writes it: "2024-09-13T09:08:34", UTC without a zone.
static json::value time_json(const std::optional<std::int64_t>& unix_seconds) {
  if (!unix_seconds) return nullptr;
  return json::value(
      format_time(SystemTime(std::chrono::seconds(*unix_seconds)), "%Y-%m-%dT%H:%M:%S"));
}

// stepInfo: the figures a step has, null when it has none.
static json::value step_info_json(const ProjectStep& s) {
  const TransferInfo& t = s.transfer;
  const IncrInfo& i = s.incr;
  if (t == TransferInfo{} && i == IncrInfo{}) return nullptr;
  json::object o;
  if (i != IncrInfo{}) {
    o["incrTimestampCheckpoint"] = optional_or_null(i.checkpoint);
    o["checkpointSampleTimestamp"] = optional_or_null(i.sample_timestamp);
  }
  if (t != TransferInfo{}) {
    o["processedRecords"] = optional_or_null(t.processed_records);
    o["capacity"] = optional_or_null(t.capacity);
    o["srcRps"] = optional_or_null(t.src_rps);
    o["dstRps"] = optional_or_null(t.dst_rps);
    o["srcRt"] = optional_or_null(t.src_rt);
    o["dstRt"] = optional_or_null(t.dst_rt);
    o["srcIops"] = optional_or_null(t.src_iops);
    o["dstIops"] = optional_or_null(t.dst_iops);
    o["srcRpsRef"] = optional_or_null(t.src_rps_ref);
    o["dstRpsRef"] = optional_or_null(t.dst_rps_ref);
    o["srcRtRef"] = optional_or_null(t.src_rt_ref);
    o["dstRtRef"] = optional_or_null(t.dst_rt_ref);
    o["srcIopsRef"] = optional_or_null(t.src_iops_ref);
  }
  return o;
}

json::array steps_json(const std::vector<ProjectStep>& steps) {
  json::array out;
  for (const auto& s : steps) {
    out.push_back(json::object{
        {"order", s.order},
        {"name", s.name},
        {"description", s.description},
        {"status", s.status},
        {"progress", optional_or_null(s.progress)},
        {"startTime", time_json(s.start_time)},
        {"finishTime", time_json(s.finish_time)},
        {"extraInfo", json::object{{"errorCode", text_or_null(s.error.error_code)},
                                   {"errorMsg", text_or_null(s.error.error_msg)},
                                   {"errorDetails", json::array{}},
                                   {"failedTime", time_json(s.failed_time)}}},
        {"stepInfo", step_info_json(s)},
    });
  }
  return out;
}

json::object verify_json(const std::optional<VerifyResult>& v, std::int64_t first,
                         std::int64_t count) {
  json::array tables;
  if (v) {
    const auto size = static_cast<std::int64_t>(v->tables.size());
    for (std::int64_t i = std::max<std::int64_t>(first, 0); i < size && i < first + count; ++i) {
      const VerifyTable& t = v->tables[static_cast<std::size_t>(i)];
      tables.push_back(json::object{
          {"sourceSchemaName", t.source_schema},
          {"sourceTableName", t.source_table},
          {"destSchemaName", t.dest_schema},
          {"destTableName", t.dest_table},
          {"sourceOnlyCount", t.source_only},
          {"destOnlyCount", t.dest_only},
          {"mismatchedCount", t.mismatched},
          {"consistentCount", t.consistent},
          {"progress", t.progress},
          {"message", text_or_null(t.message)},
          {"status", t.status},
          {"resultType", text_or_null(t.result_type)},
          {"resultDesc", nullptr},
          {"errorDetails", json::array{}},
      });
    }
  }
  return json::object{{"differentNumber", v ? optional_or_null(v->different_number) : nullptr},
                      {"fullVerifyTableStatistics", std::move(tables)}};
}

std::string label_id(const std::string& name) { return "lbl_" + name; }

static json::array labels_json(const std::vector<std::string>& labels) {
  json::array out;
  for (const auto& name : labels)
    out.push_back(json::object{{"id", label_id(name)}, {"name", name}});
  return out;
}

json::object project_json(const SimProject& p) {
  return json::object{
      {"id", p.progress.project_id},
      {"name", p.name},
      {"type", p.type},
      {"status", text_or_null(p.progress.status)},
      {"importance", text_or_null(p.progress.alarm_level)},
      {"labels", p.labels.empty() ? json::value(nullptr) : json::value(labels_json(p.labels))},
      {"owner", "omswatch-sim"},
      {"gmtCreate", nullptr},
      {"gmtModified", nullptr},
  };
}

}  // namespace omswatch::oms
