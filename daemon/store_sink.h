#pragma once
// The watcher's ObservationSink on the SQLite store.

#include "daemon/observation_sink.h"

namespace omswatch::daemon {

class StoreSink : public ObservationSink {
 public:
  // `store` must outlive the sink.
  explicit StoreSink(storage::Store& store) : store_(store) {}

  Expected<void> record(const storage::ObservationWrite& write) override;
  Expected<std::vector<storage::ProjectState>> load_project_states() override;
  Expected<std::optional<std::string>> load_oms_state(const std::string& oms) override;

 private:
  storage::Store& store_;
};

}  // namespace omswatch::daemon
