#pragma once
// When a poll also reads a project's steps (DescribeProjectSteps) and its
// full verification results (ListProjectFullVerifyResult), the calls that
// give the ETA, the throughput and the verification verdict. Pure: the
// watcher keeps one ExtraReads per project and one ExtraReadBudget per OMS
// and passes the time in.
//
// - Steps are read while a full transfer or full verification step runs, at
//   most every [detect] steps_every (and never more often than the poll).
// - Verification results are read at the same cadence while the verification
//   step runs, and once more when it has ended, for the final verdict.
// - All of it is capped per OMS: at most one extra call for every ten polls,
//   or one every 30 s when its polls bring less (so that a small deployment
//   follows its steps and its verification every minute): an OMS of 1,000
//   projects polled every 10 s, all in full transfer, sees at most 10 % more
//   requests. A read that finds no budget waits
//   for a later poll.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/detect/detector.h"
#include "oms/model.h"

namespace omswatch::daemon {

using ReadTime = std::chrono::system_clock::time_point;

class ExtraReadBudget {
 public:
  // Counted in tenths of a call, so that ten polls make exactly one.
  static constexpr int kCall = 10;      // a call costs ten tenths
  static constexpr int kPerPoll = 1;    // a poll adds one: a call for every ten polls
  // And a call every 30 s for an OMS whose polls did not bring one in that
  // time (a small deployment): a large one stays within a tenth.
  static constexpr std::chrono::seconds kFreeEvery{30};
  static constexpr int kMax = 10 * kCall;  // at most ten calls saved up

  // A poll happened at `now`: the budget grows.
  void polled(ReadTime now);
  // Takes one call's worth; false (nothing taken) when the budget is spent.
  bool take();
  // The calls the budget holds now.
  double calls() const { return static_cast<double>(tenths_) / kCall; }

 private:
  int tenths_ = 2 * kCall;  // a steps and a verification read to start with
  std::optional<ReadTime> last_free_;
  int polls_since_free_ = 0;
};

// What one project's reads remember between polls.
struct ExtraReads {
  std::optional<ReadTime> steps_read_at;
  std::optional<ReadTime> verify_read_at;
  std::string verify_step;     // the verification step being followed; "" when none
  bool verify_final_due = false;  // it ended: one more read for the final result
};

struct ReadPlan {
  bool steps = false;
  bool verify = false;
};

// What to read beside the poll of `progress` at `now`. Updates `reads` for
// the step the project is in (the caller marks what it read with read_done()).
ReadPlan plan_extra_reads(ExtraReads& reads, const oms::ProjectProgress& progress, ReadTime now,
                          std::chrono::milliseconds steps_every);

// Records what was read at `now` (a failed read is retried at the next due time).
void read_done(ExtraReads& reads, const ReadPlan& done, ReadTime now);

// The full transfer or verification step of a DescribeProjectSteps reply:
// the one named `current_step`, else the first such step RUNNING; none when
// neither exists.
std::optional<oms::ProjectStep> transfer_step_of(const std::vector<oms::ProjectStep>& steps,
                                                 std::string_view current_step);

// Whether the verification has ended, from its step (FINISHED, or RUNNING at
// 100 % as OMS leaves it) or from the project having moved past it.
bool verification_ended(const std::optional<oms::ProjectStep>& verify_step,
                        std::string_view current_step);

}  // namespace omswatch::daemon
