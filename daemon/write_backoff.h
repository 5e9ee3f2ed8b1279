#pragma once
// Fail fast while the database refuses writes. A write to a database that
// another process holds locked waits the store's busy timeout (5 s) on the
// event loop, and a full disk fails every write: retrying at each poll would
// stall polling, deliveries, the HTTP API and the watchdog for seconds at a
// time. After a failed write, writes are skipped (they fail at once, without
// touching SQLite) for a pause that doubles with each failure, from
// `first_pause` up to `max_pause`; one write is tried when the pause is over.
// One WriteBackoff is shared by everything that writes to one database (the
// watcher, the dispatcher, retention), so one probe per pause touches it.
// Not thread-safe (one loop).

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace omswatch::daemon {

class WriteBackoff {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WriteBackoff(Clock::duration first_pause = std::chrono::seconds(1),
                        Clock::duration max_pause = std::chrono::seconds(30))
      : first_pause_(first_pause), max_pause_(max_pause) {}

  // False while a pause is in force: the caller skips its write.
  bool may_write(Clock::time_point now = Clock::now()) const { return now >= resume_at_; }
  // A write failed at `now`: the next pause starts.
  void failed(Clock::time_point now = Clock::now()) {
    ++failures_;
    auto pause = first_pause_;
    for (std::uint64_t i = 1; i < failures_ && pause < max_pause_; ++i) pause *= 2;
    resume_at_ = now + std::min(pause, max_pause_);
  }
  void succeeded() {
    failures_ = 0;
    resume_at_ = {};
  }
  // Failed writes in a row (skipped ones not counted).
  std::uint64_t failures() const { return failures_; }
  // When writes may be tried again (in the past when they may now).
  Clock::time_point resume_at() const { return resume_at_; }

 private:
  Clock::duration first_pause_;
  Clock::duration max_pause_;
  std::uint64_t failures_ = 0;
  Clock::time_point resume_at_{};
};

}  // namespace omswatch::daemon
