// ${VAR} expansion, *_file secrets, the permission warnings, and the promise
// that no secret ever appears in a diagnostic.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "config/config.h"
#include "config/purpose.h"
#include "tests/config/config_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::config {
namespace {

using omswatch::testing::TempDir;
using test::env_of;
using test::errors;
using test::warnings;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

void write_file(const std::string& path, const std::string& contents, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << contents;
  }
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string all_messages(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.errors) out += d.to_string() + "\n";
  for (const auto& d : r.warnings) out += d.to_string() + "\n";
  return out;
}

constexpr const char* kOmsHead = R"([[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
projects = ["np_1"]
)";

TEST(EnvExpansion, ExpandsEveryStringValue) {
  auto r = load_string(R"([daemon]
database = "${STATE}/omswatch.db"
log_level = "${LEVEL}"
[[oms]]
name = "${ENV}-oms"
url = "http://${OMS_HOST}:8089"
username = "u"
password = "${PW}"
projects = ["${PROJECT}", "np_literal"]
interval = "${INTERVAL}"
[routes.HIGH]
receivers = ["${RECEIVER}"]
[[receivers]]
name = "${RECEIVER}"
type = "console"
)",
                       "env.toml",
                       env_of({{"STATE", "/srv/state"},
                               {"LEVEL", "debug"},
                               {"ENV", "prod"},
                               {"OMS_HOST", "oms.example.internal"},
                               {"PW", "secret"},
                               {"PROJECT", "np_from_env"},
                               {"INTERVAL", "45s"},
                               {"RECEIVER", "ops"}}));
  ASSERT_THAT(errors(r), IsEmpty());
  const Config& c = *r.config;
  EXPECT_EQ(c.daemon.database, "/srv/state/omswatch.db");
  EXPECT_EQ(c.daemon.log_level, "debug");
  EXPECT_EQ(c.oms[0].name, "prod-oms");
  EXPECT_EQ(c.oms[0].url, "http://oms.example.internal:8089");
  EXPECT_EQ(c.oms[0].password.reveal(), "secret");
  EXPECT_THAT(c.oms[0].projects, ElementsAre("np_from_env", "np_literal"));
  EXPECT_EQ(c.oms[0].interval, std::chrono::seconds(45));
  EXPECT_THAT(c.routes.at("HIGH").receivers, ElementsAre("ops"));
}

TEST(EnvExpansion, TheEscapeKeepsALiteralDollarBrace) {
  auto r =
      load_string(std::string(kOmsHead) + "password = \"pa$${ss}$$w\"\n", "t.toml", env_of({}));
  ASSERT_THAT(errors(r), IsEmpty());
  EXPECT_EQ(r.config->oms[0].password.reveal(), "pa${ss}$$w");
}

TEST(EnvExpansion, AnUnsetVariableIsAnErrorNamingItAndTheKey) {
  auto r = load_string(R"([[oms]]
name = "prod"
url = "http://${OMS_HOST}:8089"
username = "u"
password = "${OMS_PROD_PASSWORD}"
projects = ["np_1"]
[[receivers]]
name = "chat"
type = "slack"
url = "${SLACK_URL}"
)",
                       "t.toml", env_of({{"OMS_HOST", "oms"}}));
  EXPECT_FALSE(r.config);
  EXPECT_THAT(errors(r),
              ElementsAre("5:12: oms.password: environment variable OMS_PROD_PASSWORD is not set",
                          "10:7: receivers.url: environment variable SLACK_URL is not set"));
}

TEST(EnvExpansion, AnEmptySecretIsAnError) {
  auto r =
      load_string(std::string(kOmsHead) + "password = \"${PW}\"\n", "t.toml", env_of({{"PW", ""}}));
  EXPECT_THAT(errors(r), ElementsAre("6:12: oms.password: is empty"));
}

TEST(EnvExpansion, ReportsAMalformedReferenceWithoutQuotingTheValue) {
  auto r = load_string(std::string(kOmsHead) + "password = \"hunter2${\"\n", "t.toml", env_of({}));
  EXPECT_THAT(errors(r), ElementsAre("6:12: oms.password: unterminated \"${\" (write \"$${\" "
                                     "for a literal \"${\")"));
  EXPECT_THAT(all_messages(r), ::testing::Not(HasSubstr("hunter2")));
}

TEST(SecretFiles, ReadsPasswordAndSecretFilesStrippingOneNewline) {
  TempDir dir;
  write_file(dir.file("oms-prod"), "p4ss\n\n", 0600);
  write_file(dir.file("hook-secret"), "whsec_abc\r\n", 0400);
  auto r = load_string(std::string(kOmsHead) + "password_file = \"" + dir.file("oms-prod") +
                           "\"\n[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\n"
                           "url = \"https://hooks.example.internal\"\nsecret_file = \"" +
                           dir.file("hook-secret") + "\"\n",
                       "t.toml", env_of({}));
  ASSERT_THAT(errors(r), IsEmpty());
  EXPECT_THAT(warnings(r), IsEmpty());
  EXPECT_EQ(r.config->oms[0].password.reveal(), "p4ss\n");  // one newline only
  EXPECT_EQ(r.config->receivers[0].secret.reveal(), "whsec_abc");
}

TEST(SecretFiles, RelativePathsAreTakenFromTheConfigFilesDirectory) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "etc" / "secrets");
  write_file(dir.file("etc/secrets/oms"), "from-file", 0600);
  write_file(dir.file("etc/omswatch.toml"),
             std::string(kOmsHead) +
                 "password_file = \"secrets/oms\"\n[daemon]\ndatabase = \"../var/omswatch.db\"\n",
             0600);
  auto r = load_file(dir.file("etc/omswatch.toml"), env_of({}));
  ASSERT_THAT(errors(r), IsEmpty());
  EXPECT_EQ(r.config->oms[0].password.reveal(), "from-file");
  EXPECT_EQ(r.config->daemon.database, (dir.path() / "var" / "omswatch.db").string());
  EXPECT_EQ(r.config->source, dir.file("etc/omswatch.toml"));
}

TEST(SecretFiles, ThePathItselfMayComeFromTheEnvironment) {
  TempDir dir;
  write_file(dir.file("pw"), "x", 0600);
  auto r = load_string(std::string(kOmsHead) + "password_file = \"${CREDENTIALS_DIRECTORY}/pw\"\n",
                       "t.toml", env_of({{"CREDENTIALS_DIRECTORY", dir.path().string()}}));
  ASSERT_THAT(errors(r), IsEmpty());
  EXPECT_EQ(r.config->oms[0].password.reveal(), "x");
}

TEST(SecretFiles, ReportsUnusableFilesByPathNeverByContents) {
  TempDir dir;
  write_file(dir.file("empty"), "\n", 0600);
  write_file(dir.file("huge"), std::string(64 * 1024 + 1, 'k'), 0600);
  write_file(dir.file("limit"), std::string(64 * 1024, 'k'), 0600);
  std::string text;
  auto oms = [&](const std::string& name, const std::string& file) {
    text += "[[oms]]\nname = \"" + name + "\"\nurl = \"http://oms:1\"\nusername = \"u\"\n" +
            "projects = [\"p\"]\npassword_file = \"" + file + "\"\n";
  };
  oms("a", dir.file("missing"));  // password_file on line 6
  oms("b", dir.file("empty"));    // line 12
  oms("c", dir.file("huge"));     // line 18
  oms("d", dir.path().string());  // line 24
  oms("e", dir.file("limit"));    // line 30: exactly at the bound is fine
  text +=
      "[[receivers]]\nname = \"r\"\ntype = \"webhook\"\nurl = \"http://h\"\nsecret_file = \"\"\n";
  auto r = load_string(text, "t.toml", env_of({}));
  EXPECT_THAT(errors(r), ElementsAre("6:17: oms.password_file: " + dir.file("missing") +
                                         " cannot be read: No such file or directory",
                                     "12:17: oms.password_file: " + dir.file("empty") + " is empty",
                                     "18:17: oms.password_file: " + dir.file("huge") +
                                         " is larger than 64 KiB",
                                     "24:17: oms.password_file: " + dir.path().string() +
                                         " is a directory, not a file",
                                     "35:15: receivers.secret_file: must not be empty"));
}

TEST(SecretFiles, QueriesNeitherReadNorExpandSecrets) {
  TempDir dir;
  const std::string text = "[daemon]\ndatabase = \"${DB}\"\napi_token_file = \"" +
                           dir.file("no-token") +
                           "\"\n[[oms]]\nname = \"prod\"\nurl = \"http://oms:8089\"\n"
                           "username = \"u\"\npassword = \"${UNSET_PW}\"\nprojects = [\"np_1\"]\n"
                           "[[receivers]]\nname = \"r\"\ntype = \"slack\"\nurl = \"${UNSET_URL}\"\n"
                           "secret_file = \"" +
                           dir.file("no-secret") + "\"\n";
  const auto env = env_of({{"DB", "/var/lib/omswatch/q.db"}});
  // The daemon needs every secret: each missing one is an error.
  auto daemon = load_string(text, "q.toml", env, Purpose::daemon);
  EXPECT_FALSE(daemon.config);
  EXPECT_EQ(daemon.errors.size(), 4u) << ::testing::PrintToString(errors(daemon));
  // Queries need the database only; ${VAR} outside the secrets is still expanded.
  auto queries = load_string(text, "q.toml", env, Purpose::queries);
  ASSERT_TRUE(queries.config) << ::testing::PrintToString(errors(queries));
  EXPECT_EQ(queries.config->daemon.database, "/var/lib/omswatch/q.db");
  EXPECT_TRUE(queries.config->oms[0].password.empty());
  EXPECT_TRUE(queries.config->receivers[0].url.empty());
  // The shape of a secret is still checked.
  auto wrong = load_string(test::with_oms("[daemon]\napi_token = 5\n"), "q.toml",
                           env_of({{"PW", "x"}}), Purpose::queries);
  EXPECT_THAT(errors(wrong),
              ElementsAre("8:13: daemon.api_token: expected a string, not an integer"));
}

TEST(SecretFiles, RefusesAFifoWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  auto r = load_string(std::string(kOmsHead) + "password_file = \"" + dir.file("fifo") + "\"\n",
                       "t.toml", env_of({}));
  EXPECT_THAT(errors(r), ElementsAre("6:17: oms.password_file: " + dir.file("fifo") +
                                     " is not a regular file"));
}

TEST(SecretFiles, BothSecretAndSecretFileIsAnError) {
  auto r = load_string(std::string(kOmsHead) +
                           "password = \"x\"\n[[receivers]]\nname = \"r\"\ntype = \"webhook\"\n"
                           "url = \"http://h\"\nsecret = \"${S}\"\nsecret_file = \"/x\"\n",
                       "t.toml", env_of({{"S", "s"}}));
  EXPECT_THAT(errors(r), ElementsAre("12:15: receivers.secret_file: set either secret or "
                                     "secret_file, not both"));
}

TEST(SecretFiles, WarnsWhenASecretFileIsReadableByOthers) {
  TempDir dir;
  write_file(dir.file("pw"), "x", 0644);
  write_file(dir.file("group"), "y", 0640);
  auto r = load_string(std::string(kOmsHead) + "password_file = \"" + dir.file("pw") +
                           "\"\n[[receivers]]\nname = \"r\"\ntype = \"webhook\"\n"
                           "url = \"http://h\"\nsecret_file = \"" +
                           dir.file("group") + "\"\n",
                       "t.toml", env_of({}));
  EXPECT_TRUE(r.config);
  EXPECT_THAT(warnings(r),
              ElementsAre("6:17: oms.password_file: " + dir.file("pw") +
                              " is readable by others (mode 0644); it holds a secret: chmod 600",
                          "11:15: receivers.secret_file: " + dir.file("group") +
                              " is readable by its group (mode 0640); it holds a secret: "
                              "chmod 600"));
}

class FilePermissions : public ::testing::Test {
 protected:
  LoadResult load_with_mode(const std::string& text, mode_t mode) {
    write_file(path_, text, mode);
    return load_file(path_, env_of({{"PW", "pw"}, {"URL", "https://hooks.slack.com/x"}}));
  }
  TempDir dir_;
  std::string path_ = dir_.file("omswatch.toml");
};

TEST_F(FilePermissions, WarnsWhenAnInlineSecretSitsInAFileOthersCanRead) {
  auto r = load_with_mode(std::string(kOmsHead) + "password = \"hunter2\"\n", 0644);
  EXPECT_TRUE(r.config);
  EXPECT_THAT(warnings(r),
              ElementsAre("6:12: oms.password is written in " + path_ +
                          ", which is readable by others (mode 0644); it holds secrets: chmod "
                          "600, or move them to ${VAR} or a *_file key"));
  EXPECT_THAT(all_messages(r), ::testing::Not(HasSubstr("hunter2")));
}

TEST_F(FilePermissions, WarnsOnceEvenForManySecretsAndForGroupReadableFiles) {
  auto r = load_with_mode(std::string(kOmsHead) +
                              "password = \"pw${PW}\"\n[[receivers]]\nname = \"r\"\n"
                              "type = \"webhook\"\nurl = \"http://h\"\nsecret = \"s\"\n",
                          0640);
  EXPECT_THAT(warnings(r),
              ElementsAre("6:12: oms.password is written in " + path_ +
                          ", which is readable by its group (mode 0640); it holds secrets: chmod "
                          "600, or move them to ${VAR} or a *_file key"));
}

TEST_F(FilePermissions, AChatWebhookUrlIsASecretButAPlainWebhookUrlIsNot) {
  auto chat =
      load_with_mode(std::string(kOmsHead) +
                         "password = \"${PW}\"\n[[receivers]]\nname = \"r\"\n"
                         "type = \"wecom\"\nurl = \"https://qyapi.weixin.qq.com/x?key=k\"\n",
                     0644);
  EXPECT_THAT(warnings(chat), ElementsAre(HasSubstr("receivers.url is written in")));
  auto plain =
      load_with_mode(std::string(kOmsHead) +
                         "password = \"${PW}\"\n[[receivers]]\nname = \"r\"\n"
                         "type = \"webhook\"\nurl = \"https://hooks.example.internal/x\"\n",
                     0644);
  EXPECT_THAT(warnings(plain), IsEmpty());
}

TEST_F(FilePermissions, StaysQuietWhenSecretsComeFromOutsideOrTheFileIsPrivate) {
  EXPECT_THAT(warnings(load_with_mode(std::string(kOmsHead) + "password = \"${PW}\"\n", 0644)),
              IsEmpty());
  EXPECT_THAT(warnings(load_with_mode(std::string(kOmsHead) + "password = \"inline\"\n", 0600)),
              IsEmpty());
  EXPECT_THAT(warnings(load_with_mode(std::string(kOmsHead) +
                                          "password = \"${PW}\"\n[[receivers]]\nname = \"r\"\n"
                                          "type = \"slack\"\nurl = \"${URL}\"\n",
                                      0644)),
              IsEmpty());
}

TEST(LoadFile, ReportsAMissingOrOversizedFile) {
  TempDir dir;
  auto missing = load_file(dir.file("nope.toml"));
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].to_string(),
            dir.file("nope.toml") + ": cannot be read: No such file or directory");

  write_file(dir.file("big.toml"), "# " + std::string(1024 * 1024, 'x') + "\n", 0600);
  auto big = load_file(dir.file("big.toml"));
  ASSERT_EQ(big.errors.size(), 1u);
  EXPECT_EQ(big.errors[0].to_string(), dir.file("big.toml") + ": is larger than 1 MiB");

  auto text = load_string("# " + std::string(1024 * 1024, 'x') + "\n", "big", env_of({}));
  EXPECT_THAT(errors(text), ElementsAre("0:0: the configuration is larger than 1 MiB"));
}

// Every way a secret can be wrong in one file, and the values of all of them
// absent from every message.
TEST(NoSecretInMessages, EvenWhenEverythingAroundThemIsWrong) {
  TempDir dir;
  write_file(dir.file("pw"), "FILESECRET-1\n", 0644);
  write_file(dir.file("omswatch.toml"), R"([[oms]]
name = "prod"
url = "http://INLINEUSER:INLINEPASS@oms:8089 bad"
username = "u"
password = "INLINESECRET-2"
projects = ["np_1"]
[[oms]]
name = "b"
url = "http://oms:8089"
username = "u"
password = "${ENVSECRET}"
password_file = "pw"
projects = ["np_1"]
[[receivers]]
name = "chat"
type = "slack"
url = "https://hooks.slack.com/services/TOKEN-3 x"
secret = "INLINESECRET-4"
proxy = "ftp://PROXYUSER:PROXYPASS@proxy"
[[receivers]]
name = "hook"
type = "webhook"
url = "https://hooks.example.internal"
secret = "${ENVSECRET}x"
timeout = 5
)",
             0644);
  auto r = load_file(dir.file("omswatch.toml"), env_of({{"ENVSECRET", "ENVSECRET-5"}}));
  EXPECT_FALSE(r.config);
  EXPECT_FALSE(r.errors.empty());
  const std::string text = all_messages(r);
  for (const char* secret : {"FILESECRET", "INLINEUSER", "INLINEPASS", "INLINESECRET", "TOKEN",
                             "PROXYUSER", "PROXYPASS", "ENVSECRET-5"}) {
    EXPECT_THAT(text, ::testing::Not(HasSubstr(secret))) << text;
  }
}

}  // namespace
}  // namespace omswatch::config

namespace omswatch::config {
namespace {

TEST(SecretsOf, ListsEveryConfiguredSecret) {
  auto result = load_string(R"(
[daemon]
database = "/tmp/x.db"
api_token = "api-token-123456"
[[oms]]
name = "prod"
url = "http://oms.example.internal:8089"
username = "watcher"
password = "oms pass"
projects = ["np_1"]
[[receivers]]
name = "chat"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=abc123def456"
secret = "SECsigning"
[[receivers]]
name = "am"
type = "alertmanager"
url = "http://am:p%40ss@127.0.0.1:9093/"
)",
                            "t.toml", env_of({}));
  ASSERT_TRUE(result.config) << (result.errors.empty() ? "" : result.errors[0].to_string());
  const auto secrets = secrets_of(*result.config);
  for (std::string s :
       {"api-token-123456", "oms pass", "watcher:oms pass", "abc123def456", "SECsigning", "am:p@ss",
        "p@ss", "https://oapi.dingtalk.com/robot/send?access_token=abc123def456"}) {
    EXPECT_THAT(secrets, ::testing::Contains(s));
  }
  EXPECT_THAT(secrets, ::testing::Not(::testing::Contains("watcher")));
}

}  // namespace
}  // namespace omswatch::config
