#pragma once
// Feeds a detector observations one at a time, keeping the state, as the
// watcher does; shared by the detector's rule tests.

#include <string>
#include <vector>

#include "daemon/detect/detector.h"

namespace omswatch::daemon::test {

struct Feed {
  ProjectState state;
  DetectThresholds thresholds;
  std::vector<Finding> all;

  std::vector<Finding> step(const Observation& o, TimePoint now) {
    auto d = detect(state, "np_1", o, now, thresholds);
    state = d.state;
    all.insert(all.end(), d.findings.begin(), d.findings.end());
    return d.findings;
  }
};

// "kind:state" of each finding, in order.
inline std::vector<std::string> kinds(const std::vector<Finding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.kind + ":" + x.state);
  return out;
}

}  // namespace omswatch::daemon::test
