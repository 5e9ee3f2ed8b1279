#pragma once
// Which lines the failing polls of one OMS get, so that an outage writes a
// bounded number of lines whatever the number of projects: a warning for each
// of the first kProjectLinesPerRun projects that start failing, one line when
// more do, a summary every five minutes while any fails, and one line when
// each logged project (and, after a larger run, every project) recovers.
// Every other failure is a debug line. Pure: it decides, the watcher writes;
// times are passed in.

#include <cstddef>
#include <cstdint>

#include "daemon/logging.h"

namespace omswatch::daemon {

// Projects of one OMS whose failing polls get a warning line of their own in
// one run of failures.
constexpr int kProjectLinesPerRun = 3;

class PollFailureLog {
 public:
  using Clock = FailureRun::Clock;

  enum class Line {
    own_warning,   // "poll of project X on Y failed": the project's own line
    more_failing,  // "polls of more projects on Y fail": once a run
    debug,         // a debug line only
  };
  struct Failed {
    Line line = Line::debug;
    bool again = false;    // the project's previous poll failed too (then line is debug)
    bool summary = false;  // also the summary of the run
  };
  // A poll of a project failed at `now`; `was_failing`: its previous poll failed too.
  Failed failed(bool was_failing, Clock::time_point now);

  struct Recovered {
    bool every_project = false;  // say that every project's polls succeed again
    std::uint64_t failures = 0;  // the failed polls of the run that ended
    Clock::duration lasted{};    // how long that run lasted
  };
  // A project whose polls failed succeeds again, or is no longer watched.
  Recovered recovered(Clock::time_point now);

  // Projects whose latest poll failed.
  std::size_t failing() const { return failing_; }
  // Failed polls in the current run, and how long it has lasted at `now`.
  std::uint64_t failures() const { return run_.failures(); }
  Clock::duration lasted(Clock::time_point now) const { return run_.lasted(now); }

 private:
  FailureRun run_;
  std::size_t failing_ = 0;
  int logged_ = 0;
  bool more_logged_ = false;
};

}  // namespace omswatch::daemon
