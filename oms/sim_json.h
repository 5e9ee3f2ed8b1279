#pragma once
// The JSON of the simulator's replies (the data of each Action), as OMS
// writes it: every key present, absent values null, times without a zone.
// Private to the simulator.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oms/model.h"
#include "oms/simulator.h"

namespace omswatch::oms {

boost::json::value text_or_null(const std::string& s);

template <class T>
boost::json::value optional_or_null(const std::optional<T>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

// DescribeProjectProgress.
boost::json::object progress_json(const ProjectProgress& p);
// DescribeProjectSteps: startTime, finishTime and extraInfo.failedTime as
// "2024-09-13T09:08:34" (UTC), stepInfo with the figures a step has.
boost::json::array steps_json(const std::vector<ProjectStep>& steps);
// ListProjectFullVerifyResult: tables [first, first + count) of `v`; no
// result yet: differentNumber null and no tables.
boost::json::object verify_json(const std::optional<VerifyResult>& v, std::int64_t first,
                                std::int64_t count);
std::string label_id(const std::string& name);
// DescribeProject and an item of ListProjects.
boost::json::object project_json(const SimProject& p);

}  // namespace omswatch::oms
