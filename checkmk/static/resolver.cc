// SPDX-License-Identifier: GPL-2.0-or-later
// Host name resolution for the MKP's statically linked probe
// (checkmk/CMakeLists.txt links it with --wrap=getaddrinfo).
//
// A static glibc resolves "files" (/etc/hosts) and "dns" (/etc/resolv.conf)
// with code built into the binary, but any other source named on the
// site's "hosts:" line of /etc/nsswitch.conf (myhostname, mdns4_minimal,
// resolve, sss, ...) is a shared module it would dlopen. A module built
// for the site's own glibc cannot load into a static binary from another
// glibc version: glibc aborts the process (measured on Debian 11 with
// libnss-myhostname and libnss-mdns, doc/decisions.md). So before its
// first lookup the probe restricts host lookups to the two built-in
// sources, as Go's and musl's resolvers do: names resolve through
// /etc/hosts and DNS only, and an IP address never needs a lookup at all.
#include <netdb.h>
#include <nss.h>

extern "C" {

// The real getaddrinfo(3), which the linker renames for --wrap.
int __real_getaddrinfo(  // NOLINT(bugprone-reserved-identifier,readability-identifier-naming)
    const char* node, const char* service, const addrinfo* hints, addrinfo** res);

// Every getaddrinfo(3) call of the static probe lands here.
int __wrap_getaddrinfo(  // NOLINT(bugprone-reserved-identifier,readability-identifier-naming)
    const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  // A function-local static: set once, thread-safely, before the first
  // lookup. It fails only when glibc cannot allocate the new service list.
  static const bool kRestricted = __nss_configure_lookup("hosts", "files dns") == 0;
  if (!kRestricted) return EAI_MEMORY;
  return __real_getaddrinfo(node, service, hints, res);
}

}  // extern "C"
