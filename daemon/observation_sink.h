#pragma once
// Where the watcher stores what its polls observe, and where it reads back,
// at start, the detector states saved before. An interface, so that the
// watcher runs without a database in tests; StoreSink (store_sink.h) is the
// daemon's, on the SQLite store.

#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "storage/store.h"

namespace omswatch::daemon {

class ObservationSink {
 public:
  virtual ~ObservationSink() = default;
  // Commits one write (a poll, a listing, a project's removal): all of it or
  // nothing; an error says why nothing was stored.
  virtual Expected<void> record(const storage::ObservationWrite& write) = 0;
  // The saved detector state of every project.
  virtual Expected<std::vector<storage::ProjectState>> load_project_states() = 0;
  // The saved detector state of OMS `oms`; nullopt when none is.
  virtual Expected<std::optional<std::string>> load_oms_state(const std::string& oms) = 0;
};

}  // namespace omswatch::daemon
