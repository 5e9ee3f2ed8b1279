#pragma once
// Tolerant parsers for OMS replies: keys match case-insensitively, null and
// absent fields leave the value empty, numbers sent as strings are accepted,
// unknown fields are ignored. A reply that is not JSON, or whose envelope is
// not an object, is an error whose message says what and where.
//
// Details of the tolerance:
// - A field of the wrong type is left empty; an enumeration sent as a number
//   keeps its text. Booleans may be "true"/"false" (any case), 1/0 or "1"/"0".
// - `data` may be an object or a JSON string holding one (the reference calls
//   it a string). `data` of a shape the call cannot use (an array for
//   DescribeProjectProgress, a string that is not JSON) is an error. The data of
//   a success:false reply is not read.
// - Without a usable `success`, a reply with data and no error code counts as
//   a success, anything else as a failure.
// - errorDetail's code, message (+ reason) and proposal fill in the envelope's
//   code, message and advice where those are absent.
// - Progress percentages are bounded to 0..100 (and fractions rounded down).
// - Checkpoints: a number, or a string of digits, gives raw (its decimal text)
//   and unix_seconds; values past the year 5138 are read as milli-, micro- or
//   nanoseconds; zero and negative values, and times outside 1970..2199
//   (common/time.h), have no unix_seconds. Other strings
//   ("12,4096") give raw only.
// - Step times (startTime, finishTime, extraInfo.failedTime): texts such as
//   "2024-09-13T09:08:34" are UTC unless they carry a zone ("Z", "+08:00");
//   numbers and strings of digits are Unix seconds, or milliseconds by
//   magnitude (as checkpoints); null, empty and unreadable values give none.
// - stepInfo figures (processedRecords, capacity, srcRps ... srcIopsRef) and
//   verification counts: numbers or numeric strings, fractions rounded down;
//   negative values and values above 10^15 are dropped (a count reads 0).
//   Every step's stepInfo is read for both the transfer figures and the
//   incremental ones (incrTimestampCheckpoint, checkpointSampleTimestamp:
//   read as step times).
// - ListProjectFullVerifyResult: data is an object with differentNumber and
//   fullVerifyTableStatistics[] (or the array alone); at most 1,000 tables of
//   a page are kept; total_tables is OMS's totalCount (of data, else of the
//   envelope), at least the tables the page listed. A table without
//   destTableName has the source table's name.
// - Text is cut at 4096 bytes and invalid UTF-8 is replaced with U+FFFD.
// - Nesting deeper than 32 levels is an error.

#include <string_view>

#include "common/expected.h"
#include "oms/model.h"

namespace omswatch::oms {

Expected<Reply<ProjectProgress>> parse_progress_reply(std::string_view body);
Expected<Reply<ProjectList>> parse_list_projects_reply(std::string_view body);
Expected<Reply<std::vector<ProjectStep>>> parse_project_steps_reply(std::string_view body);
Expected<Reply<ProjectInfo>> parse_project_reply(std::string_view body);
Expected<Reply<VerifyResult>> parse_verify_result_reply(std::string_view body);

}  // namespace omswatch::oms
