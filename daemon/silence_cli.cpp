// `omswatch silence add|list|expire`: silences live in the database, so the
// running daemon sees them at its next delivery without a reload.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <ostream>

#include "common/time.h"
#include "config/duration.h"
#include "daemon/cli.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace {

// The longest silence --for accepts: a year. Longer ones are forgotten, not meant.
constexpr config::Duration kMaxSilence = std::chrono::hours(24 * 366);

Table silence_table(const std::vector<storage::Silence>& list) {
  Table t{
      {"id", "oms", "project_id", "kind", "starts_at", "ends_at", "comment", "created_by"}, {}, {}};
  auto text_or_null = [](const std::string& s) { return s.empty() ? Cell{} : Cell::of(s); };
  for (const auto& x : list) {
    t.rows.push_back({Cell::of(x.id), text_or_null(x.oms), text_or_null(x.project_id),
                      text_or_null(x.kind), Cell::of(format_rfc3339(from_unix_ms(x.starts_at))),
                      Cell::of(format_rfc3339(from_unix_ms(x.ends_at))), Cell::of(x.comment),
                      Cell::of(x.created_by)});
  }
  return t;
}

}  // namespace

std::string invoking_user() {
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo) return sudo;
  if (const char* user = std::getenv("USER"); user && *user) return user;
  return "uid " + std::to_string(::getuid());
}

int run_silence(const std::string& database, const SilenceArgs& a, std::ostream& out,
                std::ostream& err) {
  const std::string verb = a.positional.empty() ? "" : a.positional[0];
  const auto now = std::chrono::system_clock::now();
  auto usage = [&](const std::string& message) {
    err << "omswatch silence: " << message << "\n"
        << "usage: omswatch silence add (--project ID | --oms NAME | --kind K ...) --for 2h "
           "[--starts TIME] --comment TEXT\n"
        << "       omswatch silence list [--all]\n"
        << "       omswatch silence expire ID\n";
    return kExitUsage;
  };
  if (verb != "add" && verb != "list" && verb != "expire") return usage("add, list or expire?");
  if (!std::filesystem::exists(database)) {
    err << "omswatch silence: no database at " << database << " (has the daemon run yet?)\n";
    return kExitNoInput;
  }
  auto mode = verb == "list" ? storage::OpenMode::read_only : storage::OpenMode::read_write;
  auto store = storage::Store::open(database, mode);
  if (!store) {
    err << "omswatch silence: " << store.error() << '\n';
    return kExitFailure;
  }

  if (verb == "list") {
    if (a.positional.size() != 1) return usage("list takes no arguments");
    auto silences = (*store)->silences(a.all ? std::nullopt : std::optional(to_unix_ms(now)));
    if (!silences) {
      err << "omswatch silence: " << silences.error() << '\n';
      return kExitFailure;
    }
    write_table(out, silence_table(*silences), a.format);
    return kExitOk;
  }
  if (verb == "expire") {
    if (a.positional.size() != 2) return usage("expire takes one silence id");
    char* end = nullptr;
    long long id = std::strtoll(a.positional[1].c_str(), &end, 10);
    if (end == a.positional[1].c_str() || *end != '\0' || id <= 0) {
      return usage("'" + a.positional[1] + "' is not a silence id");
    }
    auto expired = (*store)->expire_silence(id, to_unix_ms(now));
    if (!expired) {
      err << "omswatch silence: " << expired.error() << '\n';
      return kExitFailure;
    }
    if (!*expired) {
      err << "omswatch silence: no active silence " << id << '\n';
      return kExitFailure;
    }
    out << "silence " << id << " expired\n";
    return kExitOk;
  }

  // add
  if (a.positional.size() != 1) return usage("add takes options only");
  if (a.project.empty() && a.oms.empty() && a.kind.empty()) {
    return usage("say what to silence: --project, --oms and/or --kind");
  }
  auto length = config::parse_duration(a.duration);
  if (!length || length->count() <= 0) return usage("--for needs a duration such as 2h");
  if (*length > kMaxSilence) {
    return usage("--for '" + a.duration + "' is longer than " +
                 config::format_duration(kMaxSilence) + "; silence for less and renew it");
  }
  if (a.comment.empty()) return usage("--comment: say why, for whoever is on call next");
  storage::Silence x;
  x.project_id = a.project;
  x.oms = a.oms;
  x.kind = a.kind;
  x.comment = a.comment;
  x.created_by = invoking_user();
  x.created_at = to_unix_ms(now);
  x.starts_at = x.created_at;
  if (!a.starts.empty()) {
    auto starts = parse_time_text(a.starts, now);
    if (!starts) return usage("--starts '" + a.starts + "' " + starts.error());
    x.starts_at = to_unix_ms(*starts);
  }
  // Both terms are bounded, so the sum cannot wrap; it may still pass the end of the range.
  x.ends_at = x.starts_at + length->count();
  if (!in_time_range(x.ends_at)) {
    return usage(std::string("the silence would end after the last time omswatch accepts (") +
                 kTimeRangeText + ")");
  }
  auto id = (*store)->add_silence(x);
  if (!id) {
    err << "omswatch silence: " << id.error() << '\n';
    return kExitFailure;
  }
  out << "silence " << *id << " added, until " << format_rfc3339(from_unix_ms(x.ends_at)) << '\n';
  return kExitOk;
}

}  // namespace omswatch::daemon
