// SPDX-License-Identifier: GPL-2.0-or-later
// libfmt for the MKP's statically linked probe (checkmk/CMakeLists.txt).
// Debian's libfmt-dev ships only the shared library, so the static probe
// compiles fmt's out-of-line code here from Debian's own headers:
// format-inl.h defines every non-template function, and the templates that
// format.h declares `extern template` for char are instantiated below.
// Nothing else may include this file; the Debian package's probes keep
// linking libfmt.so.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

template auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template auto decimal_point_impl(locale_ref) -> char;
template auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template locale_ref::locale_ref(const std::locale& loc);
template auto locale_ref::get<std::locale>() const -> std::locale;
template void buffer<char>::append(const char*, const char*);
template void vformat_to(buffer<char>&, string_view, basic_format_args<FMT_BUFFER_CONTEXT(char)>,
                         locale_ref);

}  // namespace detail
FMT_END_NAMESPACE
