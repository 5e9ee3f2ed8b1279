#include "oms/parse.h"

#include <gtest/gtest.h>

#include <string>

namespace omswatch::oms {
namespace {

// The reply example of the official DescribeProjectProgress reference, verbatim.
constexpr const char* kReferenceExample = R"JSON({
    "success":true,
    "errorDetail":null,
    "code":null,
    "message":null,
    "advice":null,
    "requestId":"xfez****",
    "pageNumber":1,
    "pageSize":5,
    "totalCount":50,
    "cost":"27 ms",
    "data":{
        "projectId":"np_4w****",
        "status":"RUNNING",
        "alarmLevel":"MEDIUM",
        "enableIncrSync":true,
        "currentStep":"PRE_CHECK",
        "incrSyncCheckpoint":1689248064,
        "enableStructTransfer":true,
        "enableFullTransfer":true,
        "structTransferProgress":100,
        "fullTransferProgress":100,
        "enableReverseIncrTransfer":true,
        "reverseIncrTransferCheckpoint":1689248075
    }
})JSON";

ProjectProgress progress_of(std::string_view body) {
  auto r = parse_progress_reply(body);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
  if (!r || !r->data) {
    ADD_FAILURE() << "no data";
    return {};
  }
  return *r->data;
}

TEST(ParseProgress, ReadsEveryFieldOfTheReferenceExample) {
  auto r = parse_progress_reply(kReferenceExample);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->error, ApiError{});
  EXPECT_EQ(r->request_id, "xfez****");
  EXPECT_EQ(r->cost, "27 ms");
  ASSERT_TRUE(r->data);
  const ProjectProgress& p = *r->data;
  EXPECT_EQ(p.project_id, "np_4w****");
  EXPECT_EQ(p.status, "RUNNING");
  EXPECT_EQ(p.alarm_level, "MEDIUM");
  EXPECT_EQ(p.enable_incr_sync, true);
  EXPECT_EQ(p.current_step, "PRE_CHECK");
  EXPECT_EQ(p.incr_sync_checkpoint.raw, "1689248064");
  EXPECT_EQ(p.incr_sync_checkpoint.unix_seconds, 1689248064);
  EXPECT_EQ(p.enable_struct_transfer, true);
  EXPECT_EQ(p.enable_full_transfer, true);
  EXPECT_EQ(p.struct_transfer_progress, 100);
  EXPECT_EQ(p.full_transfer_progress, 100);
  EXPECT_EQ(p.enable_reverse_incr_transfer, true);
  EXPECT_EQ(p.reverse_incr_transfer_checkpoint.raw, "1689248075");
  EXPECT_EQ(p.reverse_incr_transfer_checkpoint.unix_seconds, 1689248075);
}

TEST(ParseProgress, MatchesKeysCaseInsensitivelyAtEveryLevel) {
  auto r = parse_progress_reply(R"({"Success":true,"RequestId":"r1","COST":"3 ms",
      "Data":{"ProjectId":"np_1","STATUS":"FAILED","AlarmLevel":"HIGH","CurrentStep":"INCR_SYNC",
              "IncrSyncCheckpoint":1700000000,"EnableIncrSync":false,
              "FullTransferProgress":42}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->request_id, "r1");
  EXPECT_EQ(r->cost, "3 ms");
  ASSERT_TRUE(r->data);
  EXPECT_EQ(r->data->project_id, "np_1");
  EXPECT_EQ(r->data->status, "FAILED");
  EXPECT_EQ(r->data->alarm_level, "HIGH");
  EXPECT_EQ(r->data->current_step, "INCR_SYNC");
  EXPECT_EQ(r->data->incr_sync_checkpoint.unix_seconds, 1700000000);
  EXPECT_EQ(r->data->enable_incr_sync, false);
  EXPECT_EQ(r->data->full_transfer_progress, 42);
}

TEST(ParseProgress, CapitalisedFailureEnvelope) {
  auto r = parse_progress_reply(
      R"({"Success":false,"Code":"GHANA-OPERAT000001","Message":"CM down","Advice":"retry"})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->error.code, "GHANA-OPERAT000001");
  EXPECT_EQ(r->error.message, "CM down");
  EXPECT_EQ(r->error.advice, "retry");
}

TEST(ParseProgress, NullsEverywhereLeaveEveryFieldEmpty) {
  auto r = parse_progress_reply(R"({"success":true,"errorDetail":null,"code":null,
      "message":null,"advice":null,"requestId":null,"cost":null,
      "data":{"projectId":null,"status":null,"alarmLevel":null,"enableIncrSync":null,
              "currentStep":null,"incrSyncCheckpoint":null,"enableStructTransfer":null,
              "enableFullTransfer":null,"structTransferProgress":null,
              "fullTransferProgress":null,"enableReverseIncrTransfer":null,
              "reverseIncrTransferCheckpoint":null}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->request_id, "");
  EXPECT_EQ(r->cost, "");
  ASSERT_TRUE(r->data);
  EXPECT_EQ(*r->data, ProjectProgress{});
  EXPECT_FALSE(r->data->incr_sync_checkpoint.present());
}

TEST(ParseProgress, AbsentFieldsLeaveEveryFieldEmpty) {
  auto r = parse_progress_reply(R"({"success":true,"data":{}})");
  ASSERT_TRUE(r) << r.error();
  ASSERT_TRUE(r->data);
  EXPECT_EQ(*r->data, ProjectProgress{});
}

TEST(ParseProgress, SuccessWithNullOrAbsentDataHasNoData) {
  for (const char* body : {R"({"success":true,"data":null})", R"({"success":true})",
                           R"({"success":true,"data":""})"}) {
    auto r = parse_progress_reply(body);
    ASSERT_TRUE(r) << body << ": " << r.error();
    EXPECT_TRUE(r->success) << body;
    EXPECT_FALSE(r->data) << body;
  }
}

TEST(ParseProgress, KeepsUnknownEnumerationValuesVerbatim) {
  auto p = progress_of(R"({"success":true,"data":{"status":"RUNNING_ALARMING",
      "alarmLevel":"URGENT","currentStep":"QUANTUM_SYNC"}})");
  EXPECT_EQ(p.status, "RUNNING_ALARMING");
  EXPECT_EQ(p.alarm_level, "URGENT");
  EXPECT_EQ(p.current_step, "QUANTUM_SYNC");
}

TEST(ParseProgress, NumbersAndBooleansSentAsStrings) {
  auto p = progress_of(R"({"success":"true","data":{"structTransferProgress":"100",
      "fullTransferProgress":" 7 ","enableIncrSync":"TRUE","enableFullTransfer":"false",
      "enableStructTransfer":"1","enableReverseIncrTransfer":0,
      "incrSyncCheckpoint":"1689248064"}})");
  EXPECT_EQ(p.struct_transfer_progress, 100);
  EXPECT_EQ(p.full_transfer_progress, 7);
  EXPECT_EQ(p.enable_incr_sync, true);
  EXPECT_EQ(p.enable_full_transfer, false);
  EXPECT_EQ(p.enable_struct_transfer, true);
  EXPECT_EQ(p.enable_reverse_incr_transfer, false);
  EXPECT_EQ(p.incr_sync_checkpoint.raw, "1689248064");
  EXPECT_EQ(p.incr_sync_checkpoint.unix_seconds, 1689248064);
}

TEST(ParseProgress, SuccessAsStringFalseIsAFailure) {
  auto r = parse_progress_reply(R"({"success":"false","code":"X","data":{"status":"RUNNING"}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->success);
  EXPECT_FALSE(r->data) << "a failed call's data is not read";
}

TEST(ParseProgress, FieldsOfTheWrongTypeAreLeftEmptyNotFatal) {
  auto p = progress_of(R"({"success":true,"data":{"status":{"a":1},"alarmLevel":[1],
      "enableIncrSync":"maybe","fullTransferProgress":"lots","structTransferProgress":true,
      "incrSyncCheckpoint":{"x":1},"currentStep":7}})");
  EXPECT_EQ(p.status, "");
  EXPECT_EQ(p.alarm_level, "");
  EXPECT_EQ(p.enable_incr_sync, std::nullopt);
  EXPECT_EQ(p.full_transfer_progress, std::nullopt);
  EXPECT_EQ(p.struct_transfer_progress, std::nullopt);
  EXPECT_FALSE(p.incr_sync_checkpoint.present());
  EXPECT_EQ(p.current_step, "7") << "an enumeration sent as a number is kept as its text";
}

TEST(ParseProgress, ProgressIsBoundedToZeroToHundred) {
  auto p = progress_of(
      R"({"success":true,"data":{"structTransferProgress":250,"fullTransferProgress":-1}})");
  EXPECT_EQ(p.struct_transfer_progress, 100);
  EXPECT_EQ(p.full_transfer_progress, 0);
  p = progress_of(R"({"success":true,"data":{"fullTransferProgress":99.9,
      "structTransferProgress":"1e9"}})");
  EXPECT_EQ(p.full_transfer_progress, 99) << "rounded down: 99.9 is not finished";
  EXPECT_EQ(p.struct_transfer_progress, 100);
}

TEST(ParseProgress, StringCheckpointIsKeptRawWithoutTime) {
  auto p = progress_of(R"({"success":true,"data":{"incrSyncCheckpoint":"12,4096",
      "reverseIncrTransferCheckpoint":""}})");
  EXPECT_EQ(p.incr_sync_checkpoint.raw, "12,4096");
  EXPECT_TRUE(p.incr_sync_checkpoint.present());
  EXPECT_EQ(p.incr_sync_checkpoint.unix_seconds, std::nullopt);
  EXPECT_FALSE(p.reverse_incr_transfer_checkpoint.present());
}

TEST(ParseProgress, CheckpointEdgeCases) {
  auto p = progress_of(R"({"success":true,"data":{"incrSyncCheckpoint":0,
      "reverseIncrTransferCheckpoint":1689248064123}})");
  EXPECT_EQ(p.incr_sync_checkpoint.raw, "0");
  EXPECT_EQ(p.incr_sync_checkpoint.unix_seconds, std::nullopt) << "0 is no time";
  EXPECT_EQ(p.reverse_incr_transfer_checkpoint.raw, "1689248064123");
  EXPECT_EQ(p.reverse_incr_transfer_checkpoint.unix_seconds, 1689248064)
      << "milliseconds are read as such";
  p = progress_of(R"({"success":true,"data":{"incrSyncCheckpoint":1689248064.75,
      "reverseIncrTransferCheckpoint":true}})");
  EXPECT_EQ(p.incr_sync_checkpoint.unix_seconds, 1689248064);
  EXPECT_TRUE(p.incr_sync_checkpoint.present());
  EXPECT_FALSE(p.reverse_incr_transfer_checkpoint.present());
}

TEST(ParseProgress, AbsurdCheckpointsAreKeptRawWithoutTime) {
  // The year 3000 in seconds, and in milliseconds: no lag can be computed from them.
  auto p = progress_of(R"({"success":true,"data":{"incrSyncCheckpoint":32503680000,
      "reverseIncrTransferCheckpoint":"32503680000000"}})");
  EXPECT_EQ(p.incr_sync_checkpoint.raw, "32503680000");
  EXPECT_EQ(p.incr_sync_checkpoint.unix_seconds, std::nullopt);
  EXPECT_EQ(p.reverse_incr_transfer_checkpoint.raw, "32503680000000");
  EXPECT_EQ(p.reverse_incr_transfer_checkpoint.unix_seconds, std::nullopt);
  // The last second of 2199 is still a time; the first of 2200 is not.
  p = progress_of(R"({"success":true,"data":{"incrSyncCheckpoint":7258118399,
      "reverseIncrTransferCheckpoint":7258118400}})");
  EXPECT_EQ(p.incr_sync_checkpoint.unix_seconds, 7258118399);
  EXPECT_EQ(p.reverse_incr_transfer_checkpoint.unix_seconds, std::nullopt);
}

TEST(ParseProgress, FailureWithCodeAndMessage) {
  auto r = parse_progress_reply(R"({"success":false,"errorDetail":null,
      "code":"GHANA-OPERAT000001","message":"the CM service may be not available",
      "advice":"check CM","requestId":"abc","cost":"2 ms","data":null})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->error.code, "GHANA-OPERAT000001");
  EXPECT_EQ(r->error.message, "the CM service may be not available");
  EXPECT_EQ(r->error.advice, "check CM");
  EXPECT_EQ(r->request_id, "abc");
  EXPECT_FALSE(r->data);
}

TEST(ParseProgress, FailureWithErrorDetailOnly) {
  auto r = parse_progress_reply(R"({"success":false,"code":null,"message":null,
      "errorDetail":{"code":"GHANA-OPERIE000000","level":"ERROR","message":"internal error",
                     "reason":"NullPointerException","proposal":"contact support"}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->error.code, "GHANA-OPERIE000000");
  EXPECT_EQ(r->error.message, "internal error (NullPointerException)");
  EXPECT_EQ(r->error.advice, "contact support");
}

TEST(ParseProgress, TopLevelErrorFieldsWinOverErrorDetail) {
  auto r = parse_progress_reply(R"({"success":false,"code":"PARAM_ERROR","message":"bad id",
      "errorDetail":{"code":"OTHER","message":"other","reason":"why","proposal":"fix it"}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->error.code, "PARAM_ERROR");
  EXPECT_EQ(r->error.message, "bad id");
  EXPECT_EQ(r->error.advice, "fix it") << "advice absent on top: taken from the proposal";
}

TEST(ParseProgress, MissingSuccessIsJudgedByWhatTheReplyCarries) {
  auto r = parse_progress_reply(R"({"data":{"status":"RUNNING"}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->success);
  r = parse_progress_reply(R"({"code":"INNER_ERROR","data":{"status":"RUNNING"}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->error.code, "INNER_ERROR");
  r = parse_progress_reply(R"({})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->success);
}

TEST(ParseProgress, DataAsAJsonString) {
  auto r = parse_progress_reply(
      R"({"success":true,"data":"{\"projectId\":\"np_s\",\"status\":\"RUNNING\",\"incrSyncCheckpoint\":5}"})");
  ASSERT_TRUE(r) << r.error();
  ASSERT_TRUE(r->data);
  EXPECT_EQ(r->data->project_id, "np_s");
  EXPECT_EQ(r->data->status, "RUNNING");
  EXPECT_EQ(r->data->incr_sync_checkpoint.unix_seconds, 5);
}

TEST(ParseProgress, DataAsAStringThatIsNotJsonIsAnError) {
  auto r = parse_progress_reply(R"({"success":true,"data":"{\"status\":"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "data is a string that is not JSON: invalid JSON at offset 10 of data: "
            "incomplete JSON");
}

TEST(ParseProgress, DataOfTheWrongShapeIsAnError) {
  auto r = parse_progress_reply(R"({"success":true,"data":[1,2]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "data is an array, expected an object");
  r = parse_progress_reply(R"({"success":true,"data":"42"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "data is a number, expected an object");
}

TEST(ParseProgress, TruncatedJsonSaysWhere) {
  std::string body = kReferenceExample;
  body.resize(120);
  auto r = parse_progress_reply(body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "invalid JSON at offset 120: incomplete JSON");
}

TEST(ParseProgress, SyntaxErrorSaysWhere) {
  auto r = parse_progress_reply(R"({"success":tru})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind("invalid JSON at offset 11: ", 0), 0u) << r.error();
  r = parse_progress_reply(R"({"success":true} trailing)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "invalid JSON at offset 17: unexpected data after the JSON value");
}

TEST(ParseProgress, EmptyAndNonJsonBodies) {
  auto r = parse_progress_reply("");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "reply is empty, expected JSON");
  r = parse_progress_reply("<html><body>502 Bad Gateway</body></html>");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind("invalid JSON at offset 0", 0), 0u) << r.error();
}

TEST(ParseProgress, NonObjectEnvelopeIsAnError) {
  struct Case {
    const char* body;
    const char* message;
  };
  for (const Case& c : {Case{"[]", "reply is an array, expected a JSON object"},
                        Case{"\"ok\"", "reply is a string, expected a JSON object"},
                        Case{"42", "reply is a number, expected a JSON object"},
                        Case{"null", "reply is null, expected a JSON object"},
                        Case{"true", "reply is a boolean, expected a JSON object"}}) {
    auto r = parse_progress_reply(c.body);
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error(), c.message);
  }
}

TEST(ParseProgress, DeepNestingIsRejected) {
  std::string body =
      R"({"success":true,"data":{"x":)" + std::string(100, '[') + std::string(100, ']') + "}}";
  auto r = parse_progress_reply(body);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("nested deeper than 32 levels"), std::string::npos) << r.error();
  // A reasonable depth of unknown fields is fine.
  body = R"({"success":true,"data":{"status":"RUNNING","x":)" + std::string(20, '[') +
         std::string(20, ']') + "}}";
  EXPECT_EQ(progress_of(body).status, "RUNNING");
}

TEST(ParseProgress, InvalidUtf8IsRepairedAndLongTextIsBounded) {
  std::string body = "{\"success\":false,\"message\":\"bad \xff\xfe byte\",\"code\":\"" +
                     std::string(10000, 'C') + "\"}";
  auto r = parse_progress_reply(body);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->error.message, "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
  EXPECT_LE(r->error.code.size(), 4096u + 3);
  EXPECT_EQ(r->error.code.substr(r->error.code.size() - 3), "...");
}

TEST(ParseProgress, UnknownFieldsAreIgnored) {
  auto p = progress_of(R"({"success":true,"newTopLevel":{"a":[1,2,3]},
      "data":{"status":"RUNNING","futureField":"x","nested":{"deep":null}}})");
  EXPECT_EQ(p.status, "RUNNING");
}

TEST(ParseProgress, RepeatedKeysKeepTheLastValue) {
  // Boost.JSON keeps the last of duplicate keys; omswatch relies on no
  // particular one, only on not failing.
  auto p = progress_of(R"({"success":true,"data":{"status":"INIT","status":"RUNNING"}})");
  EXPECT_FALSE(p.status.empty());
}

TEST(ParseListProjects, ReadsItemsLabelsAndTotal) {
  auto r = parse_list_projects_reply(R"({"success":true,"requestId":"l1","cost":"5 ms",
      "pageNumber":1,"pageSize":10,"totalCount":3,
      "data":[
        {"id":"np_1","name":"orders","type":"MIGRATION","status":"RUNNING","importance":"HIGH",
         "labels":[{"id":"l_1","name":"prod"},{"id":"l_2","name":"payments"}],"owner":"ops"},
        {"id":"np_2","name":"billing","type":"SYNC","status":"FAILED","importance":"LOW",
         "labels":null},
        {"Id":"np_3","Name":"audit","Type":"SYNC","Status":"RUNNING_ALARMING"},
        "not an object"
      ]})");
  ASSERT_TRUE(r) << r.error();
  ASSERT_TRUE(r->data);
  const ProjectList& list = *r->data;
  EXPECT_EQ(list.total_count, 3);
  ASSERT_EQ(list.items.size(), 3u);
  EXPECT_EQ(list.items[0].id, "np_1");
  EXPECT_EQ(list.items[0].name, "orders");
  EXPECT_EQ(list.items[0].type, "MIGRATION");
  EXPECT_EQ(list.items[0].status, "RUNNING");
  EXPECT_EQ(list.items[0].importance, "HIGH");
  EXPECT_EQ(list.items[0].labels, (std::vector<std::string>{"prod", "payments"}));
  EXPECT_EQ(list.items[1].status, "FAILED");
  EXPECT_TRUE(list.items[1].labels.empty());
  EXPECT_EQ(list.items[2].id, "np_3");
  EXPECT_EQ(list.items[2].name, "audit");
  EXPECT_EQ(list.items[2].status, "RUNNING_ALARMING");
  EXPECT_EQ(list.items[2].importance, "");
}

TEST(ParseListProjects, TotalDefaultsToTheItemsAndAcceptsAWrapper) {
  auto r = parse_list_projects_reply(R"({"success":true,"data":[{"id":"a"},{"id":"b"}]})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->data->total_count, 2);
  r = parse_list_projects_reply(
      R"({"success":true,"data":{"totalCount":"40","items":[{"id":"a","labels":["x"]}]}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->data->total_count, 40);
  ASSERT_EQ(r->data->items.size(), 1u);
  EXPECT_EQ(r->data->items[0].labels, std::vector<std::string>{"x"});
}

TEST(ParseListProjects, WrongShapeAndFailure) {
  auto r = parse_list_projects_reply(R"({"success":true,"data":{"x":1}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "data is an object without a list of projects");
  r = parse_list_projects_reply(R"({"success":true,"data":7})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "data is a number, expected an array of projects");
  r = parse_list_projects_reply(R"({"success":false,"code":"PARAM_ERROR","message":"pageSize"})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->error.code, "PARAM_ERROR");
}

TEST(ParseProjectSteps, ReadsStepsAndTheirErrors) {
  auto r = parse_project_steps_reply(R"({"success":true,"data":[
      {"order":1,"name":"TRANSFER_PRECHECK","description":"Pre-check","status":"FINISHED",
       "progress":100,"extraInfo":{"errorCode":null,"errorMsg":null},"startTime":"x"},
      {"order":"2","name":"INCR_TRANSFER","description":"Incremental","status":"FAILED",
       "progress":"35","extraInfo":{"errorCode":"ORA-01555",
       "errorMsg":"snapshot too old","errorDetails":[],"failedTime":"2024-01-01"}},
      {"Order":3,"Name":"APP_SWITCH","Status":"INIT","ExtraInfo":{"ErrorDetails":[
       {"message":"first detail"}]}}]})");
  ASSERT_TRUE(r) << r.error();
  ASSERT_TRUE(r->data);
  const auto& steps = *r->data;
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].order, 1);
  EXPECT_EQ(steps[0].name, "TRANSFER_PRECHECK");
  EXPECT_EQ(steps[0].description, "Pre-check");
  EXPECT_EQ(steps[0].status, "FINISHED");
  EXPECT_EQ(steps[0].progress, 100);
  EXPECT_EQ(steps[0].error.error_code, "");
  EXPECT_EQ(steps[1].order, 2);
  EXPECT_EQ(steps[1].status, "FAILED");
  EXPECT_EQ(steps[1].progress, 35);
  EXPECT_EQ(steps[1].error.error_code, "ORA-01555");
  EXPECT_EQ(steps[1].error.error_msg, "snapshot too old");
  EXPECT_EQ(steps[2].order, 3);
  EXPECT_EQ(steps[2].name, "APP_SWITCH");
  EXPECT_EQ(steps[2].progress, std::nullopt);
  EXPECT_EQ(steps[2].error.error_msg, "first detail");
}

TEST(ParseProjectSteps, EmptyAndWrongShape) {
  auto r = parse_project_steps_reply(R"({"success":true,"data":[]})");
  ASSERT_TRUE(r) << r.error();
  ASSERT_TRUE(r->data);
  EXPECT_TRUE(r->data->empty());
  r = parse_project_steps_reply(R"({"success":true,"data":{"status":"x"}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "data is an object without a list of steps");
}

TEST(ParseProject, ReadsTheProject) {
  auto r = parse_project_reply(R"({"success":true,"data":{"id":"np_1","name":"orders",
      "type":"MIGRATION","importance":"HIGH","status":"RUNNING","labels":[],"owner":"x"}})");
  ASSERT_TRUE(r) << r.error();
  ASSERT_TRUE(r->data);
  EXPECT_EQ(r->data->id, "np_1");
  EXPECT_EQ(r->data->name, "orders");
  EXPECT_EQ(r->data->type, "MIGRATION");
  EXPECT_EQ(r->data->importance, "HIGH");
  EXPECT_EQ(r->data->status, "RUNNING");
  r = parse_project_reply(R"({"success":false,"code":"GHANA-PROJECT000404",
      "message":"project not found"})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->error.message, "project not found");
  r = parse_project_reply("[1]");
  ASSERT_FALSE(r);
}

}  // namespace
}  // namespace omswatch::oms
