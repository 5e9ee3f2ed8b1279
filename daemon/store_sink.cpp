#include "daemon/store_sink.h"

namespace omswatch::daemon {

Expected<void> StoreSink::record(const storage::ObservationWrite& write) {
  return store_.record(write);
}

Expected<std::vector<storage::ProjectState>> StoreSink::load_project_states() {
  return store_.load_project_states();
}

Expected<std::optional<std::string>> StoreSink::load_oms_state(const std::string& oms) {
  return store_.load_oms_state(oms);
}

}  // namespace omswatch::daemon
