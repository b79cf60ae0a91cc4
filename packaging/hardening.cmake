# SPDX-License-Identifier: Apache-2.0
# Debian's hardening (what dpkg-buildflags gives with hardening=+all and lintian checks for): stack
# protector and clash protection, format-string errors, glibc's fortified functions (they need an
# optimized build, so not in Debug), read-only relocations bound at load time (RELRO, BIND_NOW),
# position-independent executables. Sanitizer builds leave it out (the sanitizers replace the
# fortified functions with their own).
add_compile_options(-fstack-protector-strong -fstack-clash-protection -fcf-protection
  -Wformat -Werror=format-security
  "$<$<NOT:$<CONFIG:Debug>>:-U_FORTIFY_SOURCE;-D_FORTIFY_SOURCE=2>")
add_link_options(-Wl,-z,relro -Wl,-z,now)
include(CheckPIESupported)
check_pie_supported()
