// SPDX-License-Identifier: GPL-2.0-or-later
// Error and Result<T>: expected failures as values (STYLE.md "Errors").
//
// Result<T> holds either a T or an Error; Result<void> holds nothing or an
// Error. Expected<T, E> is the same with another error type (the probes'
// Outcome<T> carries a ProbeError). A small stand-in for C++23
// std::expected; the accessors AUTOMON_CHECK that the right alternative is
// present, so misuse is a loud bug, never undefined behaviour.
#ifndef AUTOMON_COMMON_RESULT_H_
#define AUTOMON_COMMON_RESULT_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/check.h"

namespace automon {

// A failure a person can act on: the message says what failed, on which
// object, and why. System errors keep the API name and errno (see
// SystemError below).
struct Error {
  std::string message;
  int errnum = 0;  // the errno of a system error, else 0

  bool IsNotFound() const;  // a system error with ENOENT

  bool operator==(const Error&) const = default;
};

// Builds "api(object): strerror(errnum)", e.g.
// "open(/etc/monitoring-info/x): Permission denied" (leveldb PosixError).
Error SystemError(std::string_view api, int errnum, std::string_view object);

// Either a T or an E (E must be another type than T).
template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(E error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    AUTOMON_CHECK(ok());
    return std::get<0>(state_);
  }
  T& value() & {
    AUTOMON_CHECK(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    AUTOMON_CHECK(ok());
    return std::get<0>(std::move(state_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  // The value, or `fallback` when this holds an error.
  T value_or(T fallback) const& { return ok() ? std::get<0>(state_) : std::move(fallback); }

  const E& error() const {
    AUTOMON_CHECK(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, E> state_;
};

template <typename T>
using Result = Expected<T, Error>;

template <>
class [[nodiscard]] Expected<void, Error> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    AUTOMON_CHECK(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace automon

#endif  // AUTOMON_COMMON_RESULT_H_
