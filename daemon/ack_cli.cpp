// `omswatch ack [add] PROJECT KIND | list | remove ID`: acks live in the
// database, like silences (silence_cli.cpp), so the running daemon sees them at
// its next reminder without a reload.

#include <cstdlib>
#include <filesystem>
#include <ostream>

#include "common/time.h"
#include "daemon/action_rows.h"
#include "daemon/cli.h"
#include "daemon/deliver/acks.h"
#include "storage/store.h"

namespace omswatch::daemon {

int run_ack(const std::string& database, const AckArgs& a, std::ostream& out, std::ostream& err) {
  std::vector<std::string> args = a.positional;
  std::string verb = args.empty() ? "" : args[0];
  if (verb == "add") {
    args.erase(args.begin());
  } else if (verb != "list" && verb != "remove") {
    verb = "add";  // `omswatch ack PROJECT KIND`
  }
  const auto now = std::chrono::system_clock::now();
  auto usage = [&](const std::string& message) {
    err << "omswatch ack: " << message << "\n"
        << "usage: omswatch ack [add] PROJECT KIND [--oms NAME] [--by NAME] [--reason TEXT]\n"
        << "       omswatch ack list [--all]\n"
        << "       omswatch ack remove ID\n";
    return kExitUsage;
  };
  if (verb == "add" && args.size() != 2) return usage("say which condition: PROJECT KIND");
  if (verb == "list" && args.size() != 1) return usage("list takes no arguments");
  if (verb == "remove" && args.size() != 2) return usage("remove takes one ack id");
  const std::string by = a.by.empty() ? invoking_user() : a.by;
  if (verb == "add") {
    for (const auto& bad :
         {deliver::check_operator_text("--by", by, deliver::kMaxAckedByBytes, true),
          deliver::check_operator_text("--reason", a.reason, deliver::kMaxAckReasonBytes, false)}) {
      if (bad) return usage(bad->field + " " + bad->message);
    }
  }
  std::int64_t id = 0;
  if (verb == "remove") {
    char* end = nullptr;
    id = std::strtoll(args[1].c_str(), &end, 10);
    if (end == args[1].c_str() || *end != '\0' || id <= 0) {
      return usage("'" + args[1] + "' is not an ack id");
    }
  }
  if (!std::filesystem::exists(database)) {
    err << "omswatch ack: no database at " << database << " (has the daemon run yet?)\n";
    return kExitNoInput;
  }
  auto mode = verb == "list" ? storage::OpenMode::read_only : storage::OpenMode::read_write;
  auto store = storage::Store::open(database, mode);
  if (!store) {
    err << "omswatch ack: " << store.error() << '\n';
    return kExitFailure;
  }
  auto failed = [&](const std::string& error) {
    err << "omswatch ack: " << error << '\n';
    return kExitFailure;
  };

  if (verb == "list") {
    auto acks = (*store)->acks(a.all);
    if (!acks) return failed(acks.error());
    write_table(out, ack_table(*acks), a.format);
    return kExitOk;
  }
  if (verb == "remove") {
    auto removed = (*store)->remove_ack(id, invoking_user(), to_unix_ms(now));
    if (!removed) return failed(removed.error());
    if (!*removed) return failed("no ack in force has id " + std::to_string(id));
    out << "ack " << id << " removed\n";
    return kExitOk;
  }

  storage::AckRequest request;
  request.oms = a.oms;
  request.project_id = args[0];
  request.kind = args[1];
  request.acked_by = by;
  request.reason = a.reason;
  request.now = to_unix_ms(now);
  auto added = (*store)->add_ack(request);
  if (!added) return failed(added.error());
  const std::string condition = request.kind + " of " + request.project_id;
  switch (added->outcome) {
    case storage::AckAdded::Outcome::added:
      out << "ack " << added->ack.id << ": " << condition << " (OMS " << added->ack.oms
          << ") acked by " << added->ack.acked_by << "; it ends when the condition resolves\n";
      return kExitOk;
    case storage::AckAdded::Outcome::not_open:
      return failed(condition + " is not firing now" +
                    (a.oms.empty() ? std::string() : " in OMS " + a.oms) +
                    " (omswatch status shows the open conditions)");
    case storage::AckAdded::Outcome::already_acked:
      return failed(condition + " is already acked by " + added->ack.acked_by + " (ack " +
                    std::to_string(added->ack.id) + "); remove that ack first to replace it");
    case storage::AckAdded::Outcome::ambiguous: {
      std::string names;
      for (const auto& n : added->oms) names += (names.empty() ? "" : ", ") + n;
      return failed(condition + " is firing in more than one OMS (" + names +
                    "): say which with --oms");
    }
  }
  return kExitFailure;
}

}  // namespace omswatch::daemon
