// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/curl_http_client.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace automon::probe {

Result<CurlGlobal> CurlGlobal::Init() {
  // CURL_GLOBAL_DEFAULT: TLS back end initialisation included; curl >= 7.84
  // makes this thread-safe, but we still do it once, from main().
  CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    return Error{fmt::format("curl_global_init: {}", curl_easy_strerror(code))};
  }
  CurlGlobal global;
  global.owns_ = true;
  return global;
}

CurlGlobal::~CurlGlobal() {
  if (owns_) curl_global_cleanup();
}

Result<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(const CurlGlobal& /*global*/,
                                                               CurlOptions options) {
  CurlEasy easy(curl_easy_init());
  if (!easy) return Error{"curl_easy_init: cannot create a libcurl handle"};
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(easy), std::move(options)));
}

namespace {

struct Sink {
  std::string* body;
  size_t limit;
  bool overflow = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t bytes = size * count;
  if (sink->body->size() + bytes > sink->limit) {
    sink->overflow = true;
    return 0;  // makes libcurl abort the transfer with CURLE_WRITE_ERROR
  }
  sink->body->append(data, bytes);
  return bytes;
}

TransportErrorKind Classify(CURLcode code, long os_errno) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return TransportErrorKind::kResolve;
    case CURLE_COULDNT_CONNECT:
      return os_errno == ECONNREFUSED ? TransportErrorKind::kRefused : TransportErrorKind::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportErrorKind::kTimeout;
    case CURLE_PEER_FAILED_VERIFICATION:
      return TransportErrorKind::kTlsVerify;
    case CURLE_SSL_CACERT_BADFILE:
      return TransportErrorKind::kCaFile;
    case CURLE_SSL_CONNECT_ERROR:
      return TransportErrorKind::kTlsHandshake;
    default:
      return TransportErrorKind::kOther;
  }
}

}  // namespace

HttpResult CurlHttpClient::Send(const HttpRequest& request) {
  CURL* h = easy_.get();
  // Keep the connection cache and TLS session, reset everything else, so no
  // option of a previous request (a POST body) leaks into this one.
  curl_easy_reset(h);

  std::string body;
  Sink sink{&body, options_.max_body_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {};

  CurlSlist headers;
  for (const std::string& header : request.headers) {
    curl_slist* next = curl_slist_append(headers.get(), header.c_str());
    if (next == nullptr) return TransportError{TransportErrorKind::kOther, "out of memory"};
    // `next` is the head of the whole list (the old head, or the new node):
    // ownership moves there without freeing anything.
    static_cast<void>(headers.release());
    headers.reset(next);
  }

  long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  // A probe measures the server it names, never a proxy from the
  // environment (http_proxy would also receive the credentials).
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_VERBOSE, options_.verbose ? 1L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (options_.insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  } else if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
  }

  CURLcode code = curl_easy_perform(h);
  // The buffers above die with this frame; make sure the handle no longer
  // points at them.
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  if (code != CURLE_OK) {
    if (sink.overflow) {
      return TransportError{TransportErrorKind::kTooLarge,
                            fmt::format("reply larger than {} bytes", options_.max_body_bytes)};
    }
    long os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    return TransportError{Classify(code, os_errno), std::move(detail)};
  }
  HttpResponse response;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  const char* content_type = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK &&
      content_type != nullptr) {
    response.content_type = content_type;
  }
  const char* location = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
    response.location = location;
  }
  response.body = std::move(body);
  return response;
}

}  // namespace automon::probe
