// DescribeProjectSteps' times and figures, and ListProjectFullVerifyResult.

#include <gtest/gtest.h>

#include <string>

#include "oms/parse.h"

namespace omswatch::oms {
namespace {

constexpr std::int64_t kNineOhEight = 1'726'218'514;  // 2024-09-13T09:08:34Z

std::vector<ProjectStep> steps_of(const std::string& body) {
  auto r = parse_project_steps_reply(body);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
  if (!r || !r->data) {
    ADD_FAILURE() << "no data";
    return {};
  }
  return *r->data;
}

// One step whose field `key` is `value` (raw JSON), at the step's level.
ProjectStep step_with(const std::string& members) {
  auto steps =
      steps_of(R"({"success":true,"data":[{"order":1,"name":"FULL_TRANSFER",)" + members + "}]}");
  if (steps.size() != 1) {
    ADD_FAILURE() << "expected one step";
    return {};
  }
  return steps.front();
}

std::optional<std::int64_t> start_time_of(const std::string& value) {
  return step_with(R"("startTime":)" + value).start_time;
}

TEST(ParseStepTimes, ReadsStartFinishAndFailedTimes) {
  ProjectStep s = step_with(R"("startTime":"2024-09-13T09:08:34","finishTime":"2024-09-13T10:08:34",
      "extraInfo":{"errorCode":"E1","failedTime":"2024-09-13T09:30:00"})");
  EXPECT_EQ(s.start_time, kNineOhEight);
  EXPECT_EQ(s.finish_time, kNineOhEight + 3600);
  EXPECT_EQ(s.failed_time, kNineOhEight + 21 * 60 + 26);
  EXPECT_EQ(s.error.error_code, "E1");
}

TEST(ParseStepTimes, ATimeWithoutAZoneIsUtcAndAZoneIsHonoured) {
  EXPECT_EQ(start_time_of(R"("2024-09-13T09:08:34")"), kNineOhEight);
  EXPECT_EQ(start_time_of(R"("2024-09-13 09:08:34")"), kNineOhEight);
  EXPECT_EQ(start_time_of(R"("2024-09-13T09:08:34Z")"), kNineOhEight);
  EXPECT_EQ(start_time_of(R"("2024-09-13T17:08:34+08:00")"), kNineOhEight);
  EXPECT_EQ(start_time_of(R"("2024-09-13T04:08:34-05:00")"), kNineOhEight);
  EXPECT_EQ(start_time_of(R"("2024-09-13T09:08:34.999")"), kNineOhEight);
  EXPECT_EQ(start_time_of(R"(" 2024-09-13T09:08:34 ")"), kNineOhEight);
}

TEST(ParseStepTimes, EpochNumbersInSecondsOrMillisecondsByMagnitude) {
  EXPECT_EQ(start_time_of("1726218514"), kNineOhEight);
  EXPECT_EQ(start_time_of("1726218514000"), kNineOhEight);
  EXPECT_EQ(start_time_of("1726218514999"), kNineOhEight);
  EXPECT_EQ(start_time_of(R"("1726218514")"), kNineOhEight);
  EXPECT_EQ(start_time_of(R"("1726218514000")"), kNineOhEight);
  EXPECT_EQ(start_time_of("1726218514.5"), kNineOhEight);
}

TEST(ParseStepTimes, NullEmptyAbsentAndUnreadableTimesAreNone) {
  for (const char* value :
       {"null", R"("")", R"("  ")", "0", "-5", R"("-5")", "true", "[]", "{}", R"("yesterday")",
        R"("2024-02-30T00:00:00")", R"("2024-09-13T09:08")", R"("3000-01-01T00:00:00")", "1e300",
        "-1e300", "18446744073709551615", R"("99999999999999999999999")"}) {
    EXPECT_EQ(start_time_of(value), std::nullopt) << value;
  }
  ProjectStep s = step_with(R"("status":"RUNNING")");
  EXPECT_EQ(s.start_time, std::nullopt);
  EXPECT_EQ(s.finish_time, std::nullopt);
  EXPECT_EQ(s.failed_time, std::nullopt);
  // failedTime belongs to extraInfo; a non-object extraInfo has none.
  EXPECT_EQ(step_with(R"("extraInfo":"x","failedTime":1726218514)").failed_time, std::nullopt);
}

TEST(ParseStepTimes, KeysMatchCaseInsensitively) {
  ProjectStep s = step_with(R"("STARTTIME":"2024-09-13T09:08:34","FinishTime":1726218514,
      "EXTRAINFO":{"FAILEDTIME":"1726218514000"})");
  EXPECT_EQ(s.start_time, kNineOhEight);
  EXPECT_EQ(s.finish_time, kNineOhEight);
  EXPECT_EQ(s.failed_time, kNineOhEight);
}

TEST(ParseStepInfo, ReadsEveryTransferFigure) {
  ProjectStep s = step_with(R"("stepInfo":{"processedRecords":1200,"capacity":"5000",
      "srcRps":41,"dstRps":40,"srcRt":2,"dstRt":3,"srcIops":8200,"dstIops":8000,
      "srcRpsRef":43,"dstRpsRef":42,"srcRtRef":1,"dstRtRef":4,"srcIopsRef":9000})");
  const TransferInfo& t = s.transfer;
  EXPECT_EQ(t.processed_records, 1200);
  EXPECT_EQ(t.capacity, 5000);
  EXPECT_EQ(t.src_rps, 41);
  EXPECT_EQ(t.dst_rps, 40);
  EXPECT_EQ(t.src_rt, 2);
  EXPECT_EQ(t.dst_rt, 3);
  EXPECT_EQ(t.src_iops, 8200);
  EXPECT_EQ(t.dst_iops, 8000);
  EXPECT_EQ(t.src_rps_ref, 43);
  EXPECT_EQ(t.dst_rps_ref, 42);
  EXPECT_EQ(t.src_rt_ref, 1);
  EXPECT_EQ(t.dst_rt_ref, 4);
  EXPECT_EQ(t.src_iops_ref, 9000);
  EXPECT_EQ(s.incr, IncrInfo{});
}

TEST(ParseStepInfo, NullAbsentWrongKindsNegativeAndHugeFiguresAreDropped) {
  ProjectStep s = step_with(R"("stepInfo":{"processedRecords":null,"srcRps":-1,"dstRps":"-3",
      "srcRt":true,"dstRt":[1],"srcIops":{"v":1},"dstIops":"fast","srcRpsRef":1e300,
      "dstRpsRef":18446744073709551615,"srcRtRef":"1000000000000001","dstRtRef":"NaN",
      "srcIopsRef":""})");
  EXPECT_EQ(s.transfer, TransferInfo{});
  // The largest figure kept, fractions rounded down, numeric strings with blanks.
  s = step_with(R"("stepInfo":{"processedRecords":1000000000000000,"capacity":" 7 ",
      "dstRps":12.9,"srcRps":"0"})");
  EXPECT_EQ(s.transfer.processed_records, 1'000'000'000'000'000);
  EXPECT_EQ(s.transfer.capacity, 7);
  EXPECT_EQ(s.transfer.dst_rps, 12);
  EXPECT_EQ(s.transfer.src_rps, 0);
  EXPECT_EQ(s.transfer.dst_rps_ref, std::nullopt);
  // stepInfo itself null, absent, or not an object.
  for (const char* info : {R"("stepInfo":null)", R"("status":"x")", R"("stepInfo":"{}")",
                           R"("stepInfo":[{"capacity":1}])", R"("stepInfo":5)"}) {
    ProjectStep e = step_with(info);
    EXPECT_EQ(e.transfer, TransferInfo{}) << info;
    EXPECT_EQ(e.incr, IncrInfo{}) << info;
  }
}

TEST(ParseStepInfo, KeysMatchCaseInsensitively) {
  ProjectStep s = step_with(R"("StepInfo":{"PROCESSEDRECORDS":5,"Capacity":9,"dstrpsref":3,
      "INCRTIMESTAMPCHECKPOINT":1726218514,"checkpointsampletimestamp":1726218524})");
  EXPECT_EQ(s.transfer.processed_records, 5);
  EXPECT_EQ(s.transfer.capacity, 9);
  EXPECT_EQ(s.transfer.dst_rps_ref, 3);
  EXPECT_EQ(s.incr.checkpoint, kNineOhEight);
  EXPECT_EQ(s.incr.sample_timestamp, kNineOhEight + 10);
}

TEST(ParseStepInfo, ReadsTheIncrementalCheckpointAndItsSample) {
  ProjectStep s = step_with(R"("name":"INCR_TRANSFER","stepInfo":{
      "incrTimestampCheckpoint":"1726218514","checkpointSampleTimestamp":1726218524000})");
  EXPECT_EQ(s.incr.checkpoint, kNineOhEight);
  EXPECT_EQ(s.incr.sample_timestamp, kNineOhEight + 10);
  EXPECT_EQ(s.transfer, TransferInfo{});
  s = step_with(R"("stepInfo":{"incrTimestampCheckpoint":0,"checkpointSampleTimestamp":null})");
  EXPECT_EQ(s.incr, IncrInfo{});
  s = step_with(R"("stepInfo":{"incrTimestampCheckpoint":"12,4096",
      "checkpointSampleTimestamp":"2024-09-13T09:08:34"})");
  EXPECT_EQ(s.incr.checkpoint, std::nullopt);
  EXPECT_EQ(s.incr.sample_timestamp, kNineOhEight);
}

VerifyResult verify_of(const std::string& body) {
  auto r = parse_verify_result_reply(body);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
  if (!r || !r->data) {
    ADD_FAILURE() << "no data";
    return {};
  }
  return *r->data;
}

TEST(ParseVerifyResult, ReadsEveryFieldOfATable) {
  VerifyResult v = verify_of(R"({"success":true,"pageNumber":1,"pageSize":10,"totalCount":2,
      "data":{"differentNumber":16,"fullVerifyTableStatistics":[
      {"sourceSchemaName":"shop","sourceTableName":"orders","destSchemaName":"shop_ob",
       "destTableName":"orders_ob","sourceOnlyCount":3,"destOnlyCount":"1","mismatchedCount":12,
       "consistentCount":99984,"progress":"100","message":"done","status":"FINISHED",
       "resultType":"DIFFERENT","resultDesc":"x","errorDetails":[]},
      {"sourceSchemaName":"shop","sourceTableName":"items","progress":57,"status":"RUNNING"}]}})");
  EXPECT_EQ(v.different_number, 16);
  EXPECT_EQ(v.total_tables, 2);
  ASSERT_EQ(v.tables.size(), 2u);
  const VerifyTable& t = v.tables[0];
  EXPECT_EQ(t.source_schema, "shop");
  EXPECT_EQ(t.source_table, "orders");
  EXPECT_EQ(t.dest_schema, "shop_ob");
  EXPECT_EQ(t.dest_table, "orders_ob");
  EXPECT_EQ(t.source_only, 3);
  EXPECT_EQ(t.dest_only, 1);
  EXPECT_EQ(t.mismatched, 12);
  EXPECT_EQ(t.consistent, 99984);
  EXPECT_EQ(t.progress, "100");
  EXPECT_EQ(t.message, "done");
  EXPECT_EQ(t.status, "FINISHED");
  EXPECT_EQ(t.result_type, "DIFFERENT");
  // Without destTableName the table keeps the source table's name.
  EXPECT_EQ(v.tables[1].dest_table, "items");
  EXPECT_EQ(v.tables[1].progress, "57");
  EXPECT_EQ(v.tables[1].source_only, 0);
}

TEST(ParseVerifyResult, KeysMatchCaseInsensitively) {
  VerifyResult v = verify_of(R"({"Success":true,"Data":{"DIFFERENTNUMBER":"4","TotalCount":9,
      "FullVerifyTableStatistics":[{"SOURCETABLENAME":"a","MismatchedCount":4}]}})");
  EXPECT_EQ(v.different_number, 4);
  EXPECT_EQ(v.total_tables, 9);
  ASSERT_EQ(v.tables.size(), 1u);
  EXPECT_EQ(v.tables[0].source_table, "a");
  EXPECT_EQ(v.tables[0].mismatched, 4);
}

TEST(ParseVerifyResult, NullAbsentAndWrongKinds) {
  VerifyResult v = verify_of(R"({"success":true,"data":{"differentNumber":null,
      "fullVerifyTableStatistics":null}})");
  EXPECT_EQ(v.different_number, std::nullopt);
  EXPECT_TRUE(v.tables.empty());
  EXPECT_EQ(v.total_tables, 0);
  v = verify_of(R"({"success":true,"data":{}})");
  EXPECT_EQ(v, VerifyResult{});
  v = verify_of(R"({"success":true,"data":{"differentNumber":"many",
      "fullVerifyTableStatistics":[1,"x",null,[],{"sourceTableName":["t"],"sourceOnlyCount":-2,
      "destOnlyCount":true,"mismatchedCount":1e300,"consistentCount":"1.5e3","progress":{},
      "status":7}]}})");
  EXPECT_EQ(v.different_number, std::nullopt);
  ASSERT_EQ(v.tables.size(), 1u);
  EXPECT_EQ(v.total_tables, 1);
  EXPECT_EQ(v.tables[0].source_table, "");
  EXPECT_EQ(v.tables[0].source_only, 0);
  EXPECT_EQ(v.tables[0].dest_only, 0);
  EXPECT_EQ(v.tables[0].mismatched, 0);
  EXPECT_EQ(v.tables[0].consistent, 1500);
  EXPECT_EQ(v.tables[0].progress, "");
  EXPECT_EQ(v.tables[0].status, "7");
  // The list alone, as some versions send it.
  v = verify_of(R"({"success":true,"totalCount":3,"data":[{"sourceTableName":"t"}]})");
  ASSERT_EQ(v.tables.size(), 1u);
  EXPECT_EQ(v.total_tables, 3);
  EXPECT_EQ(v.different_number, std::nullopt);
  // Data of a shape the call cannot use.
  auto r = parse_verify_result_reply(R"({"success":true,"data":5})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "data is a number, expected an object");
  // A failure's data is not read.
  r = parse_verify_result_reply(R"({"success":false,"code":"GHANA-PROJECT000001",
      "message":"the project does not exist","data":{"differentNumber":3}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->error.code, "GHANA-PROJECT000001");
  EXPECT_FALSE(r->data);
}

TEST(ParseVerifyResult, HugeValuesAndPagesAreBounded) {
  std::string tables;
  for (int i = 0; i < 1500; ++i) {
    if (i) tables += ',';
    tables += R"({"sourceTableName":"t)" + std::to_string(i) + R"(","mismatchedCount":1})";
  }
  VerifyResult v = verify_of(R"({"success":true,"data":{"differentNumber":99999999999999999999,
      "totalCount":-4,"fullVerifyTableStatistics":[)" +
                             tables + "]}}");
  EXPECT_EQ(v.tables.size(), 1000u);
  EXPECT_EQ(v.tables.back().source_table, "t999");
  EXPECT_EQ(v.total_tables, 1500);  // what the page listed, OMS's count being unusable
  EXPECT_EQ(v.different_number, std::nullopt);
  const std::string long_name(10000, 'n');
  v = verify_of(R"({"success":true,"data":{"differentNumber":1000000000000000,
      "fullVerifyTableStatistics":[{"sourceTableName":")" +
                long_name + R"(","message":")" + long_name + R"("}]}})");
  EXPECT_EQ(v.different_number, 1'000'000'000'000'000);
  ASSERT_EQ(v.tables.size(), 1u);
  EXPECT_EQ(v.tables[0].source_table.size(), 4096u + 3);
  EXPECT_EQ(v.tables[0].message.size(), 4096u + 3);
  EXPECT_EQ(v.tables[0].dest_table.size(), 4096u + 3);
}

}  // namespace
}  // namespace omswatch::oms
