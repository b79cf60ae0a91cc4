# SPDX-License-Identifier: Apache-2.0
# CPack post-build script (CPACK_POST_BUILD_SCRIPTS): removes the postinst and postrm that CPack
# 3.25 writes into a package whose library lies under /usr/lib. They only call ldconfig, which
# libshmon-probe0's `activate-noawait ldconfig` trigger already does (Debian policy 8.1.1; lintian
# warns of maintscript-calls-ldconfig), and CPack has no switch to leave them out.
# REQUIRES: CPACK_PACKAGE_FILES (set by CPack), dpkg-deb >= 1.19 (--root-owner-group).
foreach(deb IN LISTS CPACK_PACKAGE_FILES)
  get_filename_component(name "${deb}" NAME)
  if(NOT name MATCHES "^libshmon-probe0_.*\\.deb$")
    continue()
  endif()
  set(tree "${deb}.tree")
  file(REMOVE_RECURSE "${tree}")
  execute_process(COMMAND dpkg-deb -R "${deb}" "${tree}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot unpack ${deb} to drop its ldconfig scripts")
  endif()
  file(REMOVE "${tree}/DEBIAN/postinst" "${tree}/DEBIAN/postrm")
  execute_process(COMMAND dpkg-deb --root-owner-group -Zxz -b "${tree}" "${deb}"
                  RESULT_VARIABLE rc OUTPUT_QUIET)
  file(REMOVE_RECURSE "${tree}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot repack ${deb} without its ldconfig scripts")
  endif()
endforeach()
