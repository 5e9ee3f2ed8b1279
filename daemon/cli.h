#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "common/expected.h"
#include "config/config.h"
#include "daemon/detect/detector.h"
#include "daemon/table.h"

namespace omswatch::daemon {

// Exit codes (sysexits.h): usage errors 64, a missing input file 66, a bad
// configuration 78, any other failure 1.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitNoInput = 66;
inline constexpr int kExitConfig = 78;

// The whole command line of `omswatch`.
int run_cli(int argc, char** argv);

// `omswatch demo`.
int run_demo(std::ostream& out);

struct SilenceArgs {
  std::vector<std::string> positional;  // add | list | expire ID
  std::string project, oms, kind, duration, starts, comment;
  bool all = false;
  OutputFormat format = OutputFormat::table;
};
// `omswatch silence ...` on the database at `database`.
int run_silence(const std::string& database, const SilenceArgs& args, std::ostream& out,
                std::ostream& err);

// Who runs the command: SUDO_USER, else USER, else "uid N" (recorded with
// what the command stores).
std::string invoking_user();

struct AckArgs {
  std::vector<std::string> positional;  // [add] PROJECT KIND | list | remove ID
  std::string oms, by, reason;
  bool all = false;
  OutputFormat format = OutputFormat::table;
};
// `omswatch ack ...` on the database at `database`.
int run_ack(const std::string& database, const AckArgs& args, std::ostream& out,
            std::ostream& err);

// `omswatch notify-test RECEIVER`: exit 0 when the platform accepted the
// sample message, 1 when it refused it or could not be reached.
int run_notify_test(const config::Config& config, const std::string& receiver,
                    std::ostream& out, std::ostream& err);

}  // namespace omswatch::daemon
