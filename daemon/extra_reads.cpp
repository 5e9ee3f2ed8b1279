#include "daemon/extra_reads.h"

#include <algorithm>

namespace omswatch::daemon {

void ExtraReadBudget::polled(ReadTime now) {
  tenths_ += kPerPoll;
  ++polls_since_free_;
  if (!last_free_ || now < *last_free_) {
    last_free_ = now;
    polls_since_free_ = 0;
  } else if (now - *last_free_ >= kFreeEvery) {
    // The polls of the last 30 s brought less than a call: make it one.
    if (polls_since_free_ * kPerPoll < kCall) tenths_ += kCall;
    last_free_ = now;
    polls_since_free_ = 0;
  }
  tenths_ = std::min(tenths_, kMax);
}

bool ExtraReadBudget::take() {
  if (tenths_ < kCall) return false;
  tenths_ -= kCall;
  return true;
}

namespace {

bool due(const std::optional<ReadTime>& last, ReadTime now, std::chrono::milliseconds every) {
  // A clock that went back counts as due: the read is cheap, a stuck cadence is not.
  return !last || now < *last || now - *last >= every;
}

}  // namespace

ReadPlan plan_extra_reads(ExtraReads& reads, const oms::ProjectProgress& progress, ReadTime now,
                          std::chrono::milliseconds steps_every) {
  ReadPlan plan;
  const std::string& step = progress.current_step;
  const bool running = is_running_status(progress.status);
  const bool transferring = running && (is_full_transfer_step(step) || is_full_verify_step(step));
  if (transferring) plan.steps = due(reads.steps_read_at, now, steps_every);

  if (running && is_full_verify_step(step)) {
    reads.verify_step = step;
    reads.verify_final_due = false;
    plan.verify = due(reads.verify_read_at, now, steps_every);
  } else if (!reads.verify_step.empty()) {
    // The verification step is over (or the project left RUNNING): read the
    // final result once.
    reads.verify_step.clear();
    reads.verify_final_due = true;
  }
  if (reads.verify_final_due) plan.verify = true;
  return plan;
}

void read_done(ExtraReads& reads, const ReadPlan& done, ReadTime now) {
  if (done.steps) reads.steps_read_at = now;
  if (done.verify) {
    reads.verify_read_at = now;
    reads.verify_final_due = false;
  }
}

std::optional<oms::ProjectStep> transfer_step_of(const std::vector<oms::ProjectStep>& steps,
                                                 std::string_view current_step) {
  const auto is_transfer = [](const oms::ProjectStep& s) {
    return is_full_transfer_step(s.name) || is_full_verify_step(s.name);
  };
  for (const auto& s : steps) {
    if (s.name == current_step && is_transfer(s)) return s;
  }
  for (const auto& s : steps) {
    if (is_transfer(s) && s.status == "RUNNING") return s;
  }
  return std::nullopt;
}

bool verification_ended(const std::optional<oms::ProjectStep>& verify_step,
                        std::string_view current_step) {
  if (!is_full_verify_step(current_step)) return true;
  if (!verify_step) return false;
  return verify_step->status == "FINISHED" ||
         (verify_step->status == "RUNNING" && verify_step->progress.value_or(0) >= 100);
}

}  // namespace omswatch::daemon
