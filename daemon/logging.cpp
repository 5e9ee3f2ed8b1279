#include "daemon/logging.h"

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "common/escape.h"

namespace omswatch::daemon {
namespace {

constexpr const char* kLoggerName = "omswatch";
// %* is the message with its control characters escaped (EscapedMessage).
constexpr const char* kStderrPattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %*";
constexpr std::size_t kMaxFieldNameBytes = 64;
// journald refuses entries much larger than this; a message that long is a bug.
constexpr std::size_t kMaxMessageBytes = 64 * 1024;

// The message of a record as escape_controls() shows it: a text from
// outside with a newline or a terminal escape in it stays on its own line.
class EscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    if (!needs_escaping(text)) {
      dest.append(text.data(), text.data() + text.size());
      return;
    }
    const std::string escaped = escape_controls(text);
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

struct ScopedField {
  std::uint64_t scope;
  std::string name;
  std::string value;
};

thread_local std::vector<ScopedField> t_fields;
thread_local std::uint64_t t_next_scope = 1;

// At most `max` bytes of `text`, not splitting a UTF-8 sequence.
std::string_view cut_utf8(std::string_view text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

bool is_reserved(std::string_view name) {
  return name == "MESSAGE" || name == "PRIORITY" || name == "SYSLOG_IDENTIFIER" ||
         name.starts_with("CODE_");
}

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return LOG_DEBUG;
    case spdlog::level::info:
      return LOG_INFO;
    case spdlog::level::warn:
      return LOG_WARNING;
    case spdlog::level::err:
      return LOG_ERR;
    case spdlog::level::critical:
      return LOG_CRIT;
    default:
      return LOG_INFO;
  }
}

int send_to_journal(const std::vector<std::string>& fields) {
  std::vector<iovec> iov;
  iov.reserve(fields.size());
  for (const auto& f : fields) iov.push_back({const_cast<char*>(f.data()), f.size()});
  return sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JournalSink(JournalWriter writer)
      : writer_(writer ? std::move(writer) : JournalWriter(send_to_journal)),
        fallback_(make_log_formatter()) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    std::vector<std::string> fields;
    fields.reserve(3 + t_fields.size());
    fields.push_back("MESSAGE=" + std::string(cut_utf8(escape_controls(text), kMaxMessageBytes)));
    fields.push_back("PRIORITY=" + std::to_string(syslog_priority(msg.level)));
    fields.push_back(std::string("SYSLOG_IDENTIFIER=") + kLoggerName);
    for (const auto& [name, value] : current_log_fields()) fields.push_back(name + "=" + value);
    if (writer_(fields) >= 0) return;
    // The journal is gone (journald restarting, a full socket buffer): the
    // record goes to stderr, which systemd also collects.
    spdlog::memory_buf_t line;
    fallback_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  JournalWriter writer_;
  std::unique_ptr<spdlog::formatter> fallback_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<EscapedMessage>('*').set_pattern(kStderrPattern);
  return formatter;
}

LogFieldScope::LogFieldScope(std::initializer_list<LogField> fields) : id_(t_next_scope++) {
  for (const auto& f : fields) {
    std::string name = journal_field_name(f.name);
    if (name.empty()) continue;
    t_fields.push_back({id_, std::move(name), std::string(cut_utf8(f.value, kMaxLogFieldBytes))});
  }
}

LogFieldScope::~LogFieldScope() {
  // Scopes usually end innermost first; erasing by id also copes with any other order.
  std::erase_if(t_fields, [this](const ScopedField& f) { return f.scope == id_; });
}

std::vector<std::pair<std::string, std::string>> current_log_fields() {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(t_fields.size());
  for (const auto& f : t_fields) {
    // An inner scope overrides an outer field of the same name.
    std::erase_if(out, [&](const auto& e) { return e.first == f.name; });
    out.emplace_back(f.name, f.value);
  }
  return out;
}

std::string journal_field_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (out.size() == kMaxFieldNameBytes) break;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    bool valid = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!valid) c = '_';
    if (out.empty() && c == '_') continue;  // a leading '_' is for journald's trusted fields
    out.push_back(c);
  }
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(0, "F_");
  if (out.size() > kMaxFieldNameBytes) out.resize(kMaxFieldNameBytes);
  if (is_reserved(out)) return "";
  return out;
}

bool journal_stream_matches(std::string_view journal_stream, std::uint64_t dev, std::uint64_t ino) {
  auto colon = journal_stream.find(':');
  if (colon == std::string_view::npos) return false;
  auto parse = [](std::string_view s, std::uint64_t& v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  };
  std::uint64_t want_dev = 0;
  std::uint64_t want_ino = 0;
  return parse(journal_stream.substr(0, colon), want_dev) &&
         parse(journal_stream.substr(colon + 1), want_ino) && want_dev == dev && want_ino == ino;
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return journal_stream_matches(stream, static_cast<std::uint64_t>(st.st_dev),
                                static_cast<std::uint64_t>(st.st_ino));
}

std::shared_ptr<spdlog::sinks::sink> make_journal_sink(JournalWriter writer) {
  return std::make_shared<JournalSink>(std::move(writer));
}

void setup_logging(const std::string& level) {
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (stderr_is_journal()) {
    sink = make_journal_sink();
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    sink->set_formatter(make_log_formatter());
  }
  auto logger = std::make_shared<spdlog::logger>(kLoggerName, std::move(sink));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

std::string describe_lasted(std::chrono::steady_clock::duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 120) return std::to_string(s) + "s";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m";
  return std::to_string(s / 3600) + "h";
}

}  // namespace omswatch::daemon
