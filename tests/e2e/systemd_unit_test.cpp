// systemd/omswatch.service as systemd itself judges it: `systemd-analyze
// verify` finds nothing to complain about, and `systemd-analyze security`
// rates its exposure at most 1.5 (of 10).

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace omswatch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Captured;
using testing::Process;
using testing::TempDir;

constexpr double kMaxExposure = 1.5;

const fs::path kSourceDir = fs::path(__FILE__).parent_path().parent_path().parent_path();
const fs::path kUnit = kSourceDir / "systemd" / "omswatch.service";
const fs::path kManPage = kSourceDir / "packaging" / "omswatch.1";

// The first executable `name` on PATH, or "" when there is none.
std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

Captured run(const std::vector<std::string>& argv, const TempDir& dir,
             const std::vector<std::string>& env = {}) {
  static int counter = 0;
  const std::string base = dir.file("run" + std::to_string(++counter));
  Captured c;
  {
    Process p(argv, base + ".out", base + ".err", env);
    auto code = p.wait(60s);
    if (!code) throw std::runtime_error(argv[0] + " did not finish before the deadline");
    c.exit_code = *code;
  }
  c.out = testing::read_file(base + ".out");
  c.err = testing::read_file(base + ".err");
  return c;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// "→ Overall exposure level for omswatch.service: 1.1 OK 🙂"
std::optional<double> exposure_of(const std::string& report) {
  std::smatch m;
  static const std::regex re(R"(Overall exposure level for [^:]+: ([0-9]+\.[0-9]+))");
  if (!std::regex_search(report, m, re)) return std::nullopt;
  return std::stod(m[1].str());
}

class SystemdUnit : public ::testing::Test {
 protected:
  void SetUp() override {
    analyze_ = find_program("systemd-analyze");
    if (analyze_.empty()) GTEST_SKIP() << "systemd-analyze is not installed (Debian: systemd)";
    ASSERT_TRUE(fs::exists(kUnit)) << kUnit;
    unit_text_ = testing::read_file(kUnit.string());
  }

  // The unit, as `text`, in a directory of its own, named as installed.
  std::string write_unit(const std::string& text) {
    fs::create_directories(dir_.path() / "units");
    const std::string path = (dir_.path() / "units" / "omswatch.service").string();
    std::ofstream(path) << text;
    return path;
  }

  // `systemd-analyze verify` of the unit as `text`. The man page of
  // Documentation= is looked up in packaging/ (when man is installed).
  Captured verify(const std::string& text) {
    std::vector<std::string> argv{analyze_, "verify"};
    std::vector<std::string> env;
    if (!find_program("man").empty()) {
      fs::create_directories(dir_.path() / "man" / "man1");
      fs::copy_file(kManPage, dir_.path() / "man" / "man1" / "omswatch.1",
                    fs::copy_options::overwrite_existing);
      env.push_back("MANPATH=" + (dir_.path() / "man").string());
    } else {
      argv.push_back("--man=no");
    }
    argv.push_back(write_unit(text));
    return run(argv, dir_, env);
  }

  // The unit with its ExecStart= binary, which verify requires to exist,
  // replaced by the one just built.
  std::string with_built_binary() const {
    return replace_all(unit_text_, "/usr/bin/omswatch", OMSWATCH_BINARY);
  }

  std::string analyze_;
  std::string unit_text_;
  TempDir dir_;
};

TEST_F(SystemdUnit, VerifiesClean) {
  auto r = verify(with_built_binary());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "");
}

TEST_F(SystemdUnit, VerifyCatchesAMissingBinary) {
  // The same check fails when it should: the installed path does not exist here.
  auto r = verify(replace_all(unit_text_, "/usr/bin/omswatch", dir_.file("no-such-omswatch")));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no-such-omswatch"), std::string::npos) << r.err;
}

TEST_F(SystemdUnit, ExposureIsAtMostOnePointFive) {
  auto r =
      run({analyze_, "security", "--offline=true", "--threshold=15", write_unit(unit_text_)}, dir_);
  auto exposure = exposure_of(r.out);
  ASSERT_TRUE(exposure) << r.out << r.err;
  EXPECT_LE(*exposure, kMaxExposure) << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(SystemdUnit, ExposureCheckTellsAnUnhardenedUnit) {
  // Everything after the hardening comment dropped, but for [Install].
  std::string text = unit_text_.substr(0, unit_text_.find("# Hardening"));
  ASSERT_NE(text.size(), unit_text_.size());
  text += "\n[Install]\nWantedBy=multi-user.target\n";
  auto r = run({analyze_, "security", "--offline=true", "--threshold=15", write_unit(text)}, dir_);
  auto exposure = exposure_of(r.out);
  ASSERT_TRUE(exposure) << r.out << r.err;
  EXPECT_GT(*exposure, kMaxExposure);
  EXPECT_NE(r.exit_code, 0);
}

TEST_F(SystemdUnit, RunsAsANotifyServiceWithWatchdogAndReload) {
  for (const char* line :
       {"Type=notify", "NotifyAccess=main",
        "ExecStart=/usr/bin/omswatch run -c /etc/omswatch/omswatch.toml",
        "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=30s", "Restart=on-failure",
        "User=omswatch", "Group=omswatch", "StateDirectory=omswatch",
        "ConfigurationDirectory=omswatch", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"}) {
    EXPECT_NE(unit_text_.find(std::string("\n") + line + "\n"), std::string::npos) << line;
  }
  // Credentials are shown, commented, with the path the configuration names.
  EXPECT_NE(unit_text_.find("#LoadCredential=oms-prod:"), std::string::npos);
  EXPECT_NE(unit_text_.find("/run/credentials/omswatch.service/oms-prod"), std::string::npos);
}

TEST_F(SystemdUnit, SysusersCreatesTheServiceUser) {
  const std::string sysusers = find_program("systemd-sysusers");
  if (sysusers.empty()) GTEST_SKIP() << "systemd-sysusers is not installed";
  const fs::path file = kSourceDir / "systemd" / "omswatch.sysusers";
  auto r = run({sysusers, "--dry-run", file.string()}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Nothing ignored: a line systemd-sysusers cannot read is skipped with a message.
  EXPECT_EQ(r.err.find("gnor"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ailed"), std::string::npos) << r.err;
  if (::getpwnam("omswatch") == nullptr) {
    EXPECT_NE(r.err.find("Creating user 'omswatch'"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace omswatch
