#pragma once
// The HTTP API's acks and silences (docs/http-api.md, "Acks and silences"):
//
//   GET  /api/v1/acks                    ?all=true: ended ones too
//   POST /api/v1/acks                    {"project_id", "kind", "acked_by", "reason", "oms"}
//   POST /api/v1/acks/{id}/remove        {"removed_by"}
//   GET  /api/v1/silences                ?all=true: expired ones too
//   POST /api/v1/silences                {"project_id", "oms", "kind", "duration", "starts",
//                                         "comment", "created_by"}
//   POST /api/v1/silences/{id}/expire    {}
//
// Every write is a POST with a JSON object body. What may write at all is
// decided before (write_refusal); the rules of an ack or a silence are those
// of the CLI (daemon/deliver/acks.h, daemon/silence_request.h). A body that
// cannot be taken is a 400 naming the field.

#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "common/time.h"
#include "net/http_server.h"

namespace omswatch::storage {
class Store;
}

namespace omswatch::daemon::api {

struct Refusal {
  unsigned status = 403;
  std::string message;
};

// Whether a write (a POST) may go on, against requests a browser makes for
// another site (cross-site request forgery). Pure. Refused:
//   - without Content-Type: application/json (415): a page of another site
//     can send a form or text/plain without asking, but JSON only after a
//     CORS preflight, which this endpoint never grants;
//   - with Sec-Fetch-Site other than same-origin or none (403);
//   - with an Origin that is not this endpoint's own, http:// or https://
//     followed by the request's Host (403). Clients that are not browsers
//     send neither header.
std::optional<Refusal> write_refusal(const net::ServerRequest& request);

// The handlers. `id` is the path's {id} segment. An error when the database
// fails to be read; a failed write is answered 503 by the handler itself.
Expected<net::ServerResponse> list_acks(storage::Store& store, std::string_view query);
net::ServerResponse create_ack(storage::Store& store, SystemTime now, const std::string& body);
net::ServerResponse remove_ack(storage::Store& store, SystemTime now, const std::string& id,
                               const std::string& body);
Expected<net::ServerResponse> list_silences(storage::Store& store, SystemTime now,
                                            std::string_view query);
net::ServerResponse create_silence(storage::Store& store, SystemTime now, const std::string& body);
net::ServerResponse expire_silence(storage::Store& store, SystemTime now, const std::string& id,
                                   const std::string& body);

}  // namespace omswatch::daemon::api
