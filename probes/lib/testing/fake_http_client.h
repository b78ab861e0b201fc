// SPDX-License-Identifier: GPL-2.0-or-later
// FakeHttpClient: an HttpClient for unit tests. Every request is recorded
// and answered by a handler the test supplies (usually a small lambda that
// plays the server), so tests can assert both the replies a probe copes with
// and the exact requests it sends.
#ifndef AUTOMON_PROBES_LIB_TESTING_FAKE_HTTP_CLIENT_H_
#define AUTOMON_PROBES_LIB_TESTING_FAKE_HTTP_CLIENT_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "probes/lib/http_client.h"

namespace automon::probe::testing {

class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<HttpResult(const HttpRequest&)>;

  explicit FakeHttpClient(Handler handler) : handler_(std::move(handler)) {}

  HttpResult Send(const HttpRequest& request) override {
    requests_.push_back(request);
    return handler_(request);
  }

  const std::vector<HttpRequest>& requests() const { return requests_; }

 private:
  Handler handler_;
  std::vector<HttpRequest> requests_;
};

// A JSON response with the given status.
inline HttpResponse JsonResponse(long status, std::string body) {
  return HttpResponse{status, "application/json", "", std::move(body)};
}

}  // namespace automon::probe::testing

#endif  // AUTOMON_PROBES_LIB_TESTING_FAKE_HTTP_CLIENT_H_
