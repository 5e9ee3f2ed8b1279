#pragma once
// The OMS OpenAPI replies omswatch reads, as plain values. Enumerations
// (status, alarm level, step) are kept as the strings OMS sent, verbatim, so
// a value this version of omswatch does not know is never lost.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omswatch::oms {

// incrSyncCheckpoint / reverseIncrTransferCheckpoint. Unix seconds for most
// sources; a string such as "fileId,fileOffset" for Sybase.
struct Checkpoint {
  std::string raw;                          // as sent ("1689248064", "12,4096"); empty: null/absent
  std::optional<std::int64_t> unix_seconds;  // set when the value is a number
  bool present() const { return !raw.empty(); }
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

struct ProjectProgress {
  std::string project_id;
  std::string status;      // INIT, RUNNING, SUSPEND, FAILED, FINISHED, RELEASING, RELEASED, DELETED, ...
  std::string alarm_level;  // HIGH, MEDIUM, LOW, IGNORE; empty when absent
  std::string current_step;
  std::optional<bool> enable_incr_sync;
  std::optional<bool> enable_struct_transfer;
  std::optional<bool> enable_full_transfer;
  std::optional<bool> enable_reverse_incr_transfer;
  std::optional<int> struct_transfer_progress;  // 0..100
  std::optional<int> full_transfer_progress;    // 0..100
  Checkpoint incr_sync_checkpoint;
  Checkpoint reverse_incr_transfer_checkpoint;
  friend bool operator==(const ProjectProgress&, const ProjectProgress&) = default;
};

// The envelope's failure fields (success:false), errorDetail folded in.
struct ApiError {
  std::string code;
  std::string message;
  std::string advice;
  friend bool operator==(const ApiError&, const ApiError&) = default;
};

template <class T>
struct Reply {
  bool success = false;
  ApiError error;          // meaningful when !success
  std::string request_id;
  std::string cost;        // "27 ms" as sent
  std::optional<T> data;   // success with no data leaves it empty
};

struct ProjectSummary {  // one item of ListProjects
  std::string id;
  std::string name;
  std::string type;    // MIGRATION, SYNC
  std::string status;
  std::string importance;  // the alarm level
  std::vector<std::string> labels;  // label names
};

struct ProjectList {
  std::vector<ProjectSummary> items;
  std::int64_t total_count = 0;
};

struct StepError {
  std::string error_code;
  std::string error_msg;
  friend bool operator==(const StepError&, const StepError&) = default;
};

// stepInfo of a full transfer or full verification step (FULL_TRANSFER,
// FULL_MIGRATION, FULL_VERIFIER, FULL_VALIDATION). Every figure may be absent.
struct TransferInfo {
  std::optional<std::int64_t> processed_records;  // rows done
  std::optional<std::int64_t> capacity;           // OMS's estimate of the total rows
  std::optional<std::int64_t> src_rps, dst_rps;    // records per second
  std::optional<std::int64_t> src_rt, dst_rt;      // milliseconds per record
  std::optional<std::int64_t> src_iops, dst_iops;  // bytes per second
  // OMS's own baselines of the same figures.
  std::optional<std::int64_t> src_rps_ref, dst_rps_ref, src_rt_ref, dst_rt_ref, src_iops_ref;
  friend bool operator==(const TransferInfo&, const TransferInfo&) = default;
};

// stepInfo of an incremental step (INCR_TRANSFER, ...): the checkpoint and
// when OMS sampled it, both Unix seconds.
struct IncrInfo {
  std::optional<std::int64_t> checkpoint;        // incrTimestampCheckpoint
  std::optional<std::int64_t> sample_timestamp;  // checkpointSampleTimestamp
  friend bool operator==(const IncrInfo&, const IncrInfo&) = default;
};

struct ProjectStep {  // one item of DescribeProjectSteps
  int order = 0;
  std::string name;
  std::string description;
  std::string status;  // INIT, RUNNING, FAILED, FINISHED, SUSPEND, MONITORING
  std::optional<int> progress;
  StepError error;
  std::optional<std::int64_t> failed_time;  // extraInfo.failedTime, Unix seconds
  std::optional<std::int64_t> start_time;   // Unix seconds; OMS writes times without a zone: UTC
  std::optional<std::int64_t> finish_time;  // Unix seconds
  TransferInfo transfer;                    // full transfer / verification steps
  IncrInfo incr;                            // incremental steps
  friend bool operator==(const ProjectStep&, const ProjectStep&) = default;
};

// One table of ListProjectFullVerifyResult.
struct VerifyTable {
  std::string source_schema;
  std::string source_table;
  std::string dest_schema;
  std::string dest_table;  // absent in some versions: then the source table's name
  std::int64_t source_only = 0;  // rows only in the source
  std::int64_t dest_only = 0;    // rows only in the destination
  std::int64_t mismatched = 0;   // rows in both that differ
  std::int64_t consistent = 0;
  std::string progress;  // as sent ("100", "57%")
  std::string status;
  std::string message;
  std::string result_type;
  friend bool operator==(const VerifyTable&, const VerifyTable&) = default;
};

// ListProjectFullVerifyResult, all pages read (bounded: see Client).
struct VerifyResult {
  std::optional<std::int64_t> different_number;  // rows that differ in all
  std::vector<VerifyTable> tables;
  std::int64_t total_tables = 0;  // as OMS counts them; may exceed tables.size()
  friend bool operator==(const VerifyResult&, const VerifyResult&) = default;
};

struct ProjectInfo {  // DescribeProject
  std::string id;
  std::string name;
  std::string type;
  std::string importance;
  std::string status;
};

}  // namespace omswatch::oms
