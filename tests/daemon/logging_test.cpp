// Logging: journal records with priorities and call-site fields (through a
// capturing writer: the real journal is not available to tests), the
// JOURNAL_STREAM check against a real file descriptor, and the stderr fallback.

#include "daemon/logging.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "tests/support/notify_socket.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace omswatch::daemon {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;
using ::testing::Pair;
using testing::ScopedEnv;
using testing::TempDir;

using Record = std::vector<std::string>;

// Installs a default logger over a journal sink that records what it would
// send, and restores the previous default logger afterwards.
class JournalCapture {
 public:
  explicit JournalCapture(int result = 0) : previous_(spdlog::default_logger()) {
    auto sink = make_journal_sink([this, result](const Record& fields) {
      records_.push_back(fields);
      return result;
    });
    auto logger = std::make_shared<spdlog::logger>("omswatch-test", sink);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~JournalCapture() { spdlog::set_default_logger(previous_); }

  const std::vector<Record>& records() const { return records_; }

  // The fields of record `i` by name (the first of each name).
  std::map<std::string, std::string> fields(std::size_t i) const {
    std::map<std::string, std::string> out;
    for (const auto& f : records_.at(i)) {
      auto eq = f.find('=');
      out.emplace(f.substr(0, eq), f.substr(eq + 1));
    }
    return out;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::vector<Record> records_;
};

// Redirects this process's stderr into a file for the scope.
class StderrToFile {
 public:
  explicit StderrToFile(const std::string& path) {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~StderrToFile() {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }

 private:
  int saved_ = -1;
};

TEST(JournalSink, SendsMessagePriorityAndIdentifier) {
  JournalCapture journal;
  spdlog::info("polled {} projects", 3);
  spdlog::warn("slow");
  spdlog::error("failed");
  spdlog::critical("cannot start");
  spdlog::debug("detail");
  ASSERT_EQ(journal.records().size(), 5u);
  EXPECT_EQ(journal.records()[0][0], "MESSAGE=polled 3 projects");
  EXPECT_EQ(journal.fields(0).at("SYSLOG_IDENTIFIER"), "omswatch");
  std::vector<std::string> priorities;
  for (std::size_t i = 0; i < 5; ++i) priorities.push_back(journal.fields(i).at("PRIORITY"));
  EXPECT_THAT(priorities, ElementsAre("6", "4", "3", "2", "7"));
  // The journal stamps time and level itself: the message is the text alone.
  EXPECT_THAT(journal.records()[1], Contains("MESSAGE=slow"));
}

TEST(JournalSink, CarriesTheFieldsOfTheCallSite) {
  JournalCapture journal;
  const std::string project = "np_4w1";
  log_event(spdlog::level::warn,
            {{"PROJECT_ID", project}, {"OMS", "prod"}, {"EVENT_KIND", "incr_lagging"}}, "{} lags",
            project);
  spdlog::info("no fields");
  ASSERT_EQ(journal.records().size(), 2u);
  auto f = journal.fields(0);
  EXPECT_EQ(f.at("PROJECT_ID"), "np_4w1");
  EXPECT_EQ(f.at("OMS"), "prod");
  EXPECT_EQ(f.at("EVENT_KIND"), "incr_lagging");
  EXPECT_EQ(f.at("MESSAGE"), "np_4w1 lags");
  EXPECT_EQ(journal.fields(1).count("PROJECT_ID"), 0u) << "a field outlived its log_event";
}

TEST(JournalSink, ScopesNestAndEnd) {
  JournalCapture journal;
  {
    LogFieldScope outer({{"OMS", "prod"}, {"PROJECT_ID", "np_1"}});
    {
      LogFieldScope inner({{"PROJECT_ID", "np_2"}});
      spdlog::info("inner");
    }
    spdlog::info("outer");
  }
  spdlog::info("none");
  ASSERT_EQ(journal.records().size(), 3u);
  EXPECT_EQ(journal.fields(0).at("PROJECT_ID"), "np_2");
  EXPECT_EQ(journal.fields(0).at("OMS"), "prod");
  EXPECT_EQ(std::count_if(journal.records()[0].begin(), journal.records()[0].end(),
                          [](const std::string& f) { return f.starts_with("PROJECT_ID="); }),
            1);
  EXPECT_EQ(journal.fields(1).at("PROJECT_ID"), "np_1");
  EXPECT_EQ(journal.fields(2).count("OMS"), 0u);
  EXPECT_TRUE(current_log_fields().empty());
}

TEST(JournalSink, ScopesEndingOutOfOrderRemoveOnlyTheirOwnFields) {
  auto first = std::make_unique<LogFieldScope>(std::initializer_list<LogField>{{"OMS", "a"}});
  auto second =
      std::make_unique<LogFieldScope>(std::initializer_list<LogField>{{"PROJECT_ID", "b"}});
  first.reset();
  EXPECT_THAT(current_log_fields(), ElementsAre(Pair("PROJECT_ID", "b")));
  second.reset();
  EXPECT_TRUE(current_log_fields().empty());
}

TEST(JournalSink, FieldNamesAreMadeValidAndOwnFieldsProtected) {
  EXPECT_EQ(journal_field_name("project_id"), "PROJECT_ID");
  EXPECT_EQ(journal_field_name("event-kind"), "EVENT_KIND");
  EXPECT_EQ(journal_field_name("_PID"), "PID");  // trusted fields are journald's
  EXPECT_EQ(journal_field_name("9lives"), "F_9LIVES");
  EXPECT_EQ(journal_field_name("---"), "");
  EXPECT_EQ(journal_field_name(""), "");
  EXPECT_EQ(journal_field_name(std::string(100, 'A')).size(), 64u);
  for (const char* own : {"MESSAGE", "message", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_LINE"}) {
    EXPECT_EQ(journal_field_name(own), "") << own;
  }

  JournalCapture journal;
  log_event(spdlog::level::info, {{"MESSAGE", "forged"}, {"PRIORITY", "0"}, {"oms", "x"}}, "real");
  ASSERT_EQ(journal.records().size(), 1u);
  const auto& r = journal.records()[0];
  EXPECT_EQ(std::count_if(r.begin(), r.end(),
                          [](const std::string& f) { return f.starts_with("MESSAGE="); }),
            1);
  EXPECT_THAT(r, Contains("MESSAGE=real"));
  EXPECT_THAT(r, Contains("PRIORITY=6"));
  EXPECT_THAT(r, Not(Contains("PRIORITY=0")));
  EXPECT_THAT(r, Contains("OMS=x"));
}

TEST(JournalSink, LongValuesAreCutOnACharacterBoundary) {
  // 'é' is two bytes; an odd cut would split one.
  std::string value = "x";
  while (value.size() < 3 * kMaxLogFieldBytes) value += "\xC3\xA9";
  LogFieldScope scope({{"DETAIL", value}});
  auto fields = current_log_fields();
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_LE(fields[0].second.size(), kMaxLogFieldBytes);
  EXPECT_GE(fields[0].second.size(), kMaxLogFieldBytes - 1);
  EXPECT_NE(static_cast<unsigned char>(fields[0].second.back()), 0xC3);
}

TEST(JournalSink, FilteredLevelsSendNothing) {
  JournalCapture journal;
  spdlog::default_logger()->set_level(spdlog::level::warn);
  log_event(spdlog::level::info, {{"OMS", "prod"}}, "quiet");
  spdlog::debug("quiet");
  EXPECT_TRUE(journal.records().empty());
}

TEST(JournalSink, ARefusedRecordGoesToStderr) {
  TempDir dir;
  {
    StderrToFile redirect(dir.file("stderr"));
    JournalCapture journal(-ECONNREFUSED);
    log_event(spdlog::level::err, {{"OMS", "prod"}}, "receiver {} refused", "ops");
    ASSERT_EQ(journal.records().size(), 1u);
  }
  std::string text = testing::read_file(dir.file("stderr"));
  EXPECT_NE(text.find("error receiver ops refused"), std::string::npos) << text;
}

TEST(JournalStream, MatchesOnlyTheSameDeviceAndInode) {
  EXPECT_TRUE(journal_stream_matches("8:1234", 8, 1234));
  EXPECT_FALSE(journal_stream_matches("8:1234", 8, 1235));
  EXPECT_FALSE(journal_stream_matches("9:1234", 8, 1234));
  for (const char* bad : {"", ":", "8:", ":1234", "8", "8:1234:5", "8:12x4", "-8:1234", " 8:1234",
                          "8:99999999999999999999999"}) {
    EXPECT_FALSE(journal_stream_matches(bad, 8, 1234)) << bad;
  }
}

TEST(JournalStream, StderrIsTheJournalOnlyWhenTheVariableNamesIt) {
  TempDir dir;
  StderrToFile redirect(dir.file("stream"));
  struct stat st {};
  ASSERT_EQ(::fstat(STDERR_FILENO, &st), 0);
  const std::string ours = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  {
    ScopedEnv env("JOURNAL_STREAM", ours);
    EXPECT_TRUE(stderr_is_journal());
  }
  {
    // systemd set it for stdout, or for a parent whose stderr we no longer have.
    ScopedEnv env("JOURNAL_STREAM",
                  std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1));
    EXPECT_FALSE(stderr_is_journal());
  }
  ScopedEnv unset("JOURNAL_STREAM", std::nullopt);
  EXPECT_FALSE(stderr_is_journal());
}

TEST(SetupLogging, StderrWithThePatternOutsideSystemd) {
  auto previous = spdlog::default_logger();
  TempDir dir;
  {
    ScopedEnv unset("JOURNAL_STREAM", std::nullopt);
    StderrToFile redirect(dir.file("stderr"));
    setup_logging("info");
    setup_logging("warn");  // again: replaces, does not throw
    spdlog::info("hidden");
    spdlog::warn("shown {}", 1);
    spdlog::default_logger()->flush();
  }
  spdlog::set_default_logger(previous);
  std::string text = testing::read_file(dir.file("stderr"));
  EXPECT_EQ(text.find("hidden"), std::string::npos);
  // "2026-11-29T04:41:09.123 warning shown 1", one line.
  ASSERT_TRUE(text.ends_with("\n")) << text;
  text.pop_back();
  EXPECT_THAT(
      text,
      ::testing::MatchesRegex(
          R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} warning shown 1)"));
}

// A text from outside with a newline or terminal escapes in it is one line,
// its controls shown as escapes: it cannot forge a line or retitle a terminal.
TEST(SetupLogging, ControlCharactersInAMessageAreEscaped) {
  auto previous = spdlog::default_logger();
  TempDir dir;
  {
    ScopedEnv unset("JOURNAL_STREAM", std::nullopt);
    StderrToFile redirect(dir.file("stderr"));
    setup_logging("info");
    spdlog::warn("poll of {} failed: {}", "np_1\n2026-11-29T04:41:09.123 info forged",
                 std::string("\x1b]0;owned\x07\x1b[2J nul\0 \xff", 21));
    spdlog::default_logger()->flush();
  }
  spdlog::set_default_logger(previous);
  std::string text = testing::read_file(dir.file("stderr"));
  ASSERT_TRUE(text.ends_with("\n")) << text;
  text.pop_back();
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_THAT(text, ::testing::HasSubstr("np_1\\n2026-11-29T04:41:09.123 info forged failed: "
                                         "\\x1b]0;owned\\x07\\x1b[2J nul\\x00 \\xff"));
}

TEST(JournalSink, ControlCharactersInTheMessageAreEscaped) {
  JournalCapture journal;
  spdlog::info("status {}", "RUNNING\r\n\x1b[31mFAILED");
  ASSERT_EQ(journal.records().size(), 1u);
  EXPECT_EQ(journal.records()[0][0], "MESSAGE=status RUNNING\\r\\n\\x1b[31mFAILED");
}

TEST(SetupLogging, JournalWhenStderrIsTheJournalStream) {
  auto previous = spdlog::default_logger();
  TempDir dir;
  StderrToFile redirect(dir.file("stream"));
  struct stat st {};
  ASSERT_EQ(::fstat(STDERR_FILENO, &st), 0);
  ScopedEnv env("JOURNAL_STREAM", std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino));
  setup_logging("info");
  auto sinks = spdlog::default_logger()->sinks();
  spdlog::set_default_logger(previous);
  ASSERT_EQ(sinks.size(), 1u);
  EXPECT_FALSE(std::dynamic_pointer_cast<spdlog::sinks::stderr_color_sink_mt>(sinks[0]))
      << "stderr sink chosen although stderr is the journal stream";
}

}  // namespace
}  // namespace omswatch::daemon

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;
using Say = FailureRun::Say;

TEST(FailureRun, SaysTheStartASummaryPerPeriodAndTheRecovery) {
  FailureRun run(5min, 1min);
  const FailureRun::Clock::time_point t0{};
  EXPECT_EQ(run.failed(t0), Say::start);
  EXPECT_EQ(run.failed(t0 + 1s), Say::quiet);
  EXPECT_EQ(run.failed(t0 + 4min), Say::quiet);
  EXPECT_EQ(run.failed(t0 + 5min), Say::summary);
  EXPECT_EQ(run.failed(t0 + 6min), Say::quiet);
  EXPECT_EQ(run.lasted(t0 + 7min), 7min);
  EXPECT_EQ(run.recovered(t0 + 7min), 5u);
  EXPECT_FALSE(run.failing());
  EXPECT_EQ(run.recovered(t0 + 8min), 0u) << "no run, no line";
}

TEST(FailureRun, AFlappingThingSaysNothingMoreUntilItsNextSummary) {
  FailureRun run(5min, 1min);
  const FailureRun::Clock::time_point t0{};
  EXPECT_EQ(run.failed(t0), Say::start);
  EXPECT_EQ(run.recovered(t0 + 3s), 1u);
  // For six minutes it fails again 67 ms after each recovery and recovers a
  // second later: one relapse after another.
  int summaries = 0;
  int recovery_lines = 0;
  for (auto t = t0 + 3s + 67ms; t < t0 + 6min; t += 2s) {
    const Say say = run.failed(t);
    EXPECT_NE(say, Say::start);
    if (say == Say::summary) ++summaries;
    if (run.recovered(t + 1s) > 0) ++recovery_lines;
  }
  // One summary when the period since the start line was over, and the
  // recovery of that relapse, since its failure was said.
  EXPECT_EQ(summaries, 1);
  EXPECT_EQ(recovery_lines, 1);
}

TEST(FailureRun, ARunLongAfterTheLastRecoveryIsANewOutage) {
  FailureRun run(5min, 1min);
  const FailureRun::Clock::time_point t0{};
  EXPECT_EQ(run.failed(t0), Say::start);
  EXPECT_EQ(run.recovered(t0 + 10s), 1u);
  EXPECT_EQ(run.failed(t0 + 10s + 1min), Say::start);
  EXPECT_EQ(run.recovered(t0 + 2min), 1u);
}

}  // namespace
}  // namespace omswatch::daemon
