// SPDX-License-Identifier: GPL-2.0-or-later
// The libcurl implementation of HttpClient, and the RAII owners of libcurl's
// process-wide state and handles. This is the only header that includes
// <curl/curl.h>.
//
// Usage, in main():
//   Result<CurlGlobal> curl = CurlGlobal::Init();
//   Result<std::unique_ptr<CurlHttpClient>> http = CurlHttpClient::Create(*curl, options);
//
// One CurlHttpClient reuses one easy handle, so consecutive requests to the
// same server share one keep-alive connection. Not thread-safe.
#ifndef AUTOMON_PROBES_LIB_CURL_HTTP_CLIENT_H_
#define AUTOMON_PROBES_LIB_CURL_HTTP_CLIENT_H_

#include <curl/curl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "common/c_deleter.h"
#include "common/result.h"
#include "probes/lib/http_client.h"

namespace automon::probe {

using CurlEasy = std::unique_ptr<CURL, CDeleter<curl_easy_cleanup>>;
using CurlSlist = std::unique_ptr<curl_slist, CDeleter<curl_slist_free_all>>;

// Owns curl_global_init()/curl_global_cleanup(). Create exactly one, in
// main(), before any CurlHttpClient, and keep it alive longer than them.
class CurlGlobal {
 public:
  static Result<CurlGlobal> Init();
  CurlGlobal(CurlGlobal&& other) noexcept : owns_(std::exchange(other.owns_, false)) {}
  CurlGlobal& operator=(CurlGlobal&&) = delete;
  CurlGlobal(const CurlGlobal&) = delete;
  ~CurlGlobal();

 private:
  CurlGlobal() = default;
  bool owns_ = false;
};

struct CurlOptions {
  std::string ca_file;    // --ca-file: trust this PEM bundle instead of the system's
  bool insecure = false;  // --insecure: skip certificate and host name verification
  std::string user_agent = "automon-probe";
  size_t max_body_bytes = 8 << 20;  // larger replies fail with kTooLarge
  bool verbose = false;             // libcurl's own trace on stderr (never used with secrets)
};

class CurlHttpClient final : public HttpClient {
 public:
  // Fails with curl's message when the easy handle cannot be created.
  static Result<std::unique_ptr<CurlHttpClient>> Create(const CurlGlobal& global,
                                                        CurlOptions options);

  HttpResult Send(const HttpRequest& request) override;

 private:
  CurlHttpClient(CurlEasy easy, CurlOptions options)
      : easy_(std::move(easy)), options_(std::move(options)) {}

  CurlEasy easy_;
  CurlOptions options_;
};

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_CURL_HTTP_CLIENT_H_
