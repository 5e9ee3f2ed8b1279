// What the package ships besides the binary, checked against the binary:
// the example configuration passes `omswatch check-config` (as shipped and
// with every default uncommented), the man page renders without warnings
// and documents every command and exit status the CLI has, and the install
// rules put the Prometheus rules and the Grafana dashboard under
// share/omswatch. The .deb itself is built and checked by
// scripts/check-package.sh (`make package`) and installed on a fresh Debian 12
// by scripts/test-package.sh (`make test-package`).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace omswatch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Captured;
using testing::Process;
using testing::TempDir;

const fs::path kSourceDir = fs::path(__FILE__).parent_path().parent_path().parent_path();
const fs::path kExample = kSourceDir / "packaging" / "omswatch.toml.example";
const fs::path kManPage = kSourceDir / "packaging" / "omswatch.1";
constexpr const char* kCredentials = "/run/credentials/omswatch.service/";

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

class ExampleConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    example_ = testing::read_file(kExample.string());
    ASSERT_FALSE(example_.empty()) << kExample;
    // The credentials systemd would hand over, in a directory of the test's.
    fs::create_directory(dir_.path() / "credentials");
    for (auto [name, value] : {std::pair{"oms-prod", "oms-password"},
                               std::pair{"ops-webhook", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                               std::pair{"api-token", "token-for-the-http-api"}}) {
      const std::string path = (dir_.path() / "credentials" / name).string();
      std::ofstream(path) << value << "\n";
      ::chmod(path.c_str(), 0400);
    }
  }

  // `check-config` of `text` with the credentials moved to the test's directory.
  Captured check(const std::string& text) {
    const std::string path = dir_.file("omswatch.toml");
    std::ofstream(path) << replace_all(text, kCredentials,
                                       (dir_.path() / "credentials").string() + "/");
    ::chmod(path.c_str(), 0644);
    return run({OMSWATCH_BINARY, "check-config", "-c", path}, dir_,
               {"SLACK_ONCALL_URL=https://hooks.slack.com/services/T000/B000/XXXX"});
  }

  std::string example_;
  TempDir dir_;
};

TEST_F(ExampleConfig, ChecksOutAsShipped) {
  auto r = check(example_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("OK (1 OMS, 2 project(s), 2 receiver(s))"), std::string::npos) << r.out;
  // No secret in the file itself, so a world-readable copy draws no warning.
  EXPECT_EQ(r.err, "");
}

TEST_F(ExampleConfig, EveryCommentedDefaultIsValid) {
  // Uncomment "#key = value" lines and the IGNORE route; of a key and its
  // *_file form only one may be set: the file.
  std::istringstream in(example_);
  std::string out;
  std::size_t uncommented = 0;
  static const std::regex commented_key(R"(^#([a-z_]+) = .*)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, commented_key) && m[1] != "password" && m[1] != "secret" &&
        m[1] != "api_token") {
      line.erase(0, 1);
      ++uncommented;
    } else if (line == "#[routes.IGNORE]") {
      line.erase(0, 1);
    }
    out += line + "\n";
  }
  EXPECT_GE(uncommented, 20u);
  auto r = check(out);
  EXPECT_EQ(r.exit_code, 0) << r.err << out;
}

TEST_F(ExampleConfig, ShowsEveryKeyOfTheReference) {
  // Every key of docs/configuration.md's tables appears in the example.
  std::string reference = testing::read_file((kSourceDir / "docs" / "configuration.md").string());
  reference = reference.substr(0, reference.find("\n## Durations"));  // units are not keys
  // "| `key` |" or "| `key` / `key_file` |"
  static const std::regex key_row(R"(\n\| `([a-z_]+)`(?: / `([a-z_]+)`)? \|)");
  std::set<std::string> keys;
  for (std::sregex_iterator it(reference.begin(), reference.end(), key_row), end; it != end; ++it) {
    keys.insert((*it)[1].str());
    if ((*it)[2].matched) keys.insert((*it)[2].str());
  }
  ASSERT_GE(keys.size(), 20u);
  for (const auto& key : keys) {
    EXPECT_NE(example_.find(key + " = "), std::string::npos) << key << " is not in the example";
  }
}

TEST_F(ExampleConfig, ABrokenCopyIsRefused) {
  // The check above can fail: a credential that is not there is an error.
  auto r = check(replace_all(example_, "oms-prod\"", "oms-missing\""));
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.err.find("oms-missing"), std::string::npos) << r.err;
}

std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"}) {
    fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

TEST(ManPage, RendersWithoutWarnings) {
  const std::string groff = find_program("groff");
  if (groff.empty()) GTEST_SKIP() << "groff is not installed (Debian: groff-base)";
  TempDir dir;
  auto r = run({groff, "-man", "-Tutf8", "-ww", "-z", kManPage.string()}, dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST(ManPage, DocumentsEveryCommandAndExitStatus) {
  TempDir dir;
  auto help = run({OMSWATCH_BINARY, "--help"}, dir);
  ASSERT_EQ(help.exit_code, 0);
  const std::string page = testing::read_file(kManPage.string());
  // "  status         [-c FILE | ..." under "Commands:".
  auto commands_at = help.out.find("Commands:\n");
  ASSERT_NE(commands_at, std::string::npos) << help.out;
  std::istringstream lines(help.out.substr(commands_at + 10));
  static const std::regex command_line(R"(^  ([a-z][a-z-]*)( .*)?$)");
  int commands = 0;
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    std::smatch m;
    if (!std::regex_match(line, m, command_line)) continue;
    ++commands;
    std::string roff_name = replace_all(m[1].str(), "-", "\\-");
    EXPECT_NE(page.find("\n.B " + roff_name + "\n"), std::string::npos)
        << "omswatch " << m[1] << " is not in the SYNOPSIS of packaging/omswatch.1";
    // ".TP\n.B status" or, with an argument, ".TP\n.BI history ..."
    EXPECT_TRUE(page.find("\n.TP\n.B " + roff_name + "\n") != std::string::npos ||
                page.find("\n.TP\n.BI " + roff_name + " ") != std::string::npos)
        << "omswatch " << m[1] << " is not described under COMMANDS of packaging/omswatch.1";
  }
  EXPECT_GE(commands, 7);
  for (const char* code : {"0", "1", "64", "66", "78"}) {
    EXPECT_NE(page.find(std::string("\n.TP\n.B ") + code + "\n"), std::string::npos)
        << "exit status " << code;
  }
}

// The files of contrib/DIR (but tests/), relative to it, sorted.
std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> out;
  if (!fs::exists(dir)) return out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = fs::relative(it->path(), dir).string();
    if (rel == "tests") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) out.insert(rel);
  }
  return out;
}

// `cmake --install` of the `contrib` component (part of the one .deb) puts every
// file of contrib/prometheus/ but its promtool tests, and every file of
// contrib/grafana/, under PREFIX/share/omswatch/, whatever their names.
TEST(PackageInstall, PutsTheRulesAndTheDashboardUnderShareOmswatch) {
  TempDir dir;
  const fs::path prefix = dir.path() / "usr";
  auto r = run({OMSWATCH_CMAKE, "--install", OMSWATCH_BUILD_DIR, "--prefix", prefix.string(),
                "--component", "contrib"},
               dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* what : {"prometheus", "grafana"}) {
    const fs::path source = kSourceDir / "contrib" / what;
    const fs::path installed = prefix / "share" / "omswatch" / what;
    const auto files = files_under(source);
    EXPECT_FALSE(files.empty()) << source << " has no files";
    EXPECT_EQ(files_under(installed), files) << installed;
    for (const auto& file : files) {
      EXPECT_EQ(testing::read_file((installed / file).string()),
                testing::read_file((source / file).string()))
          << file;
    }
  }
  EXPECT_FALSE(fs::exists(prefix / "share" / "omswatch" / "prometheus" / "tests"));
}

}  // namespace
}  // namespace omswatch
