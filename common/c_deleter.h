// SPDX-License-Identifier: GPL-2.0-or-later
// CDeleter: a std::unique_ptr deleter that calls a C library's free
// function, so that each C handle type is wrapped exactly once (STYLE.md
// "RAII for C libraries"):
//   using CurlEasy = std::unique_ptr<CURL, CDeleter<curl_easy_cleanup>>;
// `Fn` is called only with a non-null pointer (std::unique_ptr never calls
// its deleter on null); whatever it returns is ignored. It must not throw.
#ifndef AUTOMON_COMMON_C_DELETER_H_
#define AUTOMON_COMMON_C_DELETER_H_

namespace automon {

template <auto Fn>
struct CDeleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Fn(p);
  }
};

}  // namespace automon

#endif  // AUTOMON_COMMON_C_DELETER_H_
