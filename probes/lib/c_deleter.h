// CDeleter: a unique_ptr deleter that calls a C library's free function,
// so each C handle type is wrapped exactly once (STYLE.md "RAII"):
//   using CurlEasy = std::unique_ptr<CURL, CDeleter<curl_easy_cleanup>>;
#ifndef AUTOMON_PROBES_LIB_C_DELETER_H_
#define AUTOMON_PROBES_LIB_C_DELETER_H_

namespace automon::probe {

template <auto Fn>
struct CDeleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Fn(p);
  }
};

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_C_DELETER_H_
