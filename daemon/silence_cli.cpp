// `omswatch silence add|list|expire`: silences live in the database, so the
// running daemon sees them at its next delivery without a reload.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <ostream>

#include "common/time.h"
#include "daemon/action_rows.h"
#include "daemon/cli.h"
#include "daemon/silence_request.h"
#include "storage/store.h"

namespace omswatch::daemon {

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
  SilenceSpec spec{a.oms, a.project, a.kind, a.duration, a.starts, a.comment, invoking_user()};
  auto made = make_silence(spec, now, kCliSilenceFields);
  if (auto* bad = std::get_if<deliver::FieldError>(&made)) return usage(bad->message);
  const auto& x = std::get<storage::Silence>(made);
  auto id = (*store)->add_silence(x);
  if (!id) {
    err << "omswatch silence: " << id.error() << '\n';
    return kExitFailure;
  }
  out << "silence " << *id << " added, until " << format_rfc3339(from_unix_ms(x.ends_at)) << '\n';
  return kExitOk;
}

}  // namespace omswatch::daemon
