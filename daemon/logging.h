#pragma once
// Where omswatch's log lines go, and how a call site attaches structured
// fields to them.
//
// Under systemd (stderr connected to the journal, see stderr_is_journal())
// every record goes to journald natively: PRIORITY= from the level,
// SYSLOG_IDENTIFIER=omswatch, MESSAGE= the text alone (journald stamps time
// and pid), and the fields of the call site, so that
//   journalctl -u omswatch PROJECT_ID=np_4w1 -p warning
// finds what one project went through. Anywhere else, records go to stderr as
// "2026-11-29T04:41:09.123 info text", and the fields are not printed: a
// message must say everything a person needs by itself; fields are for
// filtering.
//
// Messages often carry text from outside (OMS project ids, statuses, error
// messages, receivers' replies): both sinks write the message through
// escape_controls() (common/escape.h), so a newline or a terminal escape in
// such text shows as "\n" or "\x1b" and cannot forge a line or act on a
// terminal.
//
// Attaching fields:
//   log_event(spdlog::level::warn, {{"PROJECT_ID", id}, {"OMS", oms}, {"EVENT_KIND", kind}},
//             "{} {}: {}", oms, id, summary);
// or, for every record logged by one synchronous stretch of code,
//   LogFieldScope fields({{"OMS", oms}});
//   spdlog::info(...);  // carries OMS=
// A scope is thread-local and must not live across a co_await: another
// coroutine resumed meanwhile on the same thread would log with its fields.
// log_event() is always safe.
//
// Field names are journal field names: A-Z, 0-9 and '_', not starting with
// '_', at most 64 characters. Others are normalised (lower case raised,
// anything else becomes '_', leading '_' dropped); MESSAGE, PRIORITY,
// SYSLOG_IDENTIFIER and CODE_* are omswatch's own and are dropped. Values are
// cut to kMaxLogFieldBytes. Never put a secret in a field or a message.
//
// Loggers must stay synchronous (no spdlog async logger): the fields are read
// on the logging thread when the record is written.

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omswatch::daemon {

inline constexpr std::size_t kMaxLogFieldBytes = 2048;

// A run of failures of one thing (the database, one OMS's polls, one
// receiver): decides which of its failures deserve a log line, so that an
// outage of hours writes a handful of lines instead of one per attempt: the
// first failure of a run, then a summary at most every `summary_every`
// while the run lasts; the caller logs one line when recovered() returns a
// count. The rest are the caller's debug lines. Not thread-safe (one loop).
//
// Flapping (a nearly full disk takes small writes and refuses large ones; a
// receiver that answers every other request) would otherwise write a start
// and a recovery line per flip. A run that starts within `relapse_window` of
// the previous run's end is a relapse: it says nothing at its start, its
// summaries stay on the previous run's cadence, and its recovery is said
// only if one of its summaries was.
class FailureRun {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Say { start, summary, quiet };

  explicit FailureRun(Clock::duration summary_every = std::chrono::minutes(5),
                      Clock::duration relapse_window = std::chrono::minutes(1))
      : summary_every_(summary_every), relapse_window_(relapse_window) {}

  // Counts one failure at `now`.
  Say failed(Clock::time_point now = Clock::now()) {
    if (failures_++ == 0) {
      since_ = now;
      said_ = false;
      const bool relapse = ended_ && now - *ended_ < relapse_window_;
      if (!relapse) {
        last_said_ = now;
        said_ = true;
        return Say::start;
      }
    }
    if (now - last_said_ >= summary_every_) {
      last_said_ = now;
      said_ = true;
      return Say::summary;
    }
    return Say::quiet;
  }
  // Ends the run at `now`. Returns its number of failures for the caller's
  // recovery line, or 0 when no line is due: no run was going on, or it was
  // a relapse nothing was said about.
  std::uint64_t recovered(Clock::time_point now = Clock::now()) {
    const std::uint64_t n = std::exchange(failures_, 0);
    if (n == 0) return 0;
    ended_ = now;
    return said_ ? n : 0;
  }

  bool failing() const { return failures_ > 0; }
  std::uint64_t failures() const { return failures_; }
  // How long the run has lasted at `now` (zero when none is running).
  Clock::duration lasted(Clock::time_point now = Clock::now()) const {
    return failures_ ? now - since_ : Clock::duration::zero();
  }

 private:
  Clock::duration summary_every_;
  Clock::duration relapse_window_;
  std::uint64_t failures_ = 0;
  Clock::time_point since_{};
  Clock::time_point last_said_{};
  std::optional<Clock::time_point> ended_;
  bool said_ = false;
};

// "12s", "4m", "2h" for a log line about how long something lasted.
std::string describe_lasted(std::chrono::steady_clock::duration d);

// The stderr lines' formatter: "2026-11-29T04:41:09.123 info text", the
// text with its control characters escaped.
std::unique_ptr<spdlog::formatter> make_log_formatter();

// Installs the default logger "omswatch" at `level` ("info", "debug", ...):
// journald when stderr_is_journal(), stderr otherwise. May be called again
// (the new logger replaces the old).
void setup_logging(const std::string& level);

struct LogField {
  std::string_view name;
  std::string_view value;
};

// Adds `fields` to every record logged on this thread while the scope lives.
class LogFieldScope {
 public:
  explicit LogFieldScope(std::initializer_list<LogField> fields);
  ~LogFieldScope();
  LogFieldScope(const LogFieldScope&) = delete;
  LogFieldScope& operator=(const LogFieldScope&) = delete;

 private:
  std::uint64_t id_;
};

// Logs one record with `fields` attached. Costs nothing beyond a level check
// when `level` is filtered out.
template <class... Args>
void log_event(spdlog::level::level_enum level, std::initializer_list<LogField> fields,
               spdlog::format_string_t<Args...> fmt, Args&&... args) {
  if (!spdlog::should_log(level)) return;
  LogFieldScope scope(fields);
  spdlog::log(level, fmt, std::forward<Args>(args)...);
}

// The fields in force on this thread, outermost scope first, names
// normalised, invalid and reserved ones dropped, values cut.
std::vector<std::pair<std::string, std::string>> current_log_fields();

// The journal field name for `name` ("" when nothing usable is left, or when
// it is one of omswatch's own).
std::string journal_field_name(std::string_view name);

// JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected stdout or
// stderr to; true when it names (dev, ino).
bool journal_stream_matches(std::string_view journal_stream, std::uint64_t dev, std::uint64_t ino);

// True when stderr is the journal stream systemd set up for this process
// (JOURNAL_STREAM matches fstat(2)), as systemd.exec(5) recommends checking
// before logging to the journal natively.
bool stderr_is_journal();

// Sends one record ("NAME=value" entries, MESSAGE= first) to the journal;
// returns 0 or a negative errno, like sd_journal_sendv().
using JournalWriter = std::function<int(const std::vector<std::string>& fields)>;

// A sink writing records to the journal through `writer` (sd_journal_sendv
// when empty). When the journal refuses a record, the record is written to
// stderr with the usual pattern instead, so nothing is lost.
std::shared_ptr<spdlog::sinks::sink> make_journal_sink(JournalWriter writer = {});

}  // namespace omswatch::daemon
