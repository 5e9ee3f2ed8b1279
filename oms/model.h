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
};

struct ProjectStep {  // one item of DescribeProjectSteps
  int order = 0;
  std::string name;
  std::string description;
  std::string status;  // INIT, RUNNING, FAILED, FINISHED, SUSPEND, MONITORING
  std::optional<int> progress;
  StepError error;
};

struct ProjectInfo {  // DescribeProject
  std::string id;
  std::string name;
  std::string type;
  std::string importance;
  std::string status;
};

}  // namespace omswatch::oms
