# CPack: one .deb with the programs, the probe SDK and the docs (`cpack -G DEB` in a build
# directory configured with CMAKE_INSTALL_PREFIX=/usr, as the install ctest does). lintian must
# report no errors on it (tests/install).
set(CPACK_PACKAGE_NAME shmon)
set(CPACK_PACKAGE_VENDOR "shmon")
set(CPACK_PACKAGE_CONTACT "shmon maintainers <shmon@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "runtime monitor for Linux programs over shared memory")
# CPack indents every line of the long description by one space itself.
set(CPACK_PACKAGE_DESCRIPTION "Programs link the probe library and update counters, gauges,
histograms and events without locks or system calls; one agent per
instance collects them through shared memory. Includes the agent,
shmonctl, the inspector, the probe library (shared and static), its
headers, a CMake package and a pkg-config module.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The shared library: our own shlibs entry and an ldconfig trigger (what lintian asks for) instead
# of CPack's generated ldconfig maintainer scripts.
file(WRITE ${CMAKE_BINARY_DIR}/deb-control/shlibs
  "libshmon_probe 0 shmon (>= ${PROJECT_VERSION})\n")
file(WRITE ${CMAKE_BINARY_DIR}/deb-control/triggers "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_BINARY_DIR}/deb-control/shlibs ${CMAKE_BINARY_DIR}/deb-control/triggers)
# The tray's XDG autostart entry is the package's only file in /etc (packaging/install_desktop.cmake).
if(shmon_with_tray)
  file(WRITE ${CMAKE_BINARY_DIR}/deb-control/conffiles "/etc/xdg/autostart/shmon-tray.desktop\n")
  list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/deb-control/conffiles)
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Debian policy files: copyright and a compressed changelog in /usr/share/doc/shmon.
set(shmon_deb_doc ${CMAKE_BINARY_DIR}/deb-doc)
file(MAKE_DIRECTORY ${shmon_deb_doc})
configure_file(${CMAKE_CURRENT_LIST_DIR}/copyright ${shmon_deb_doc}/copyright COPYONLY)
string(TIMESTAMP shmon_deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${shmon_deb_doc}/changelog
  "shmon (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
  "  * Built from the shmon source tree.\n\n"
  " -- ${CPACK_PACKAGE_CONTACT}  ${shmon_deb_date}\n")
add_custom_command(OUTPUT ${shmon_deb_doc}/changelog.gz
  COMMAND gzip -9nf -k ${shmon_deb_doc}/changelog
  DEPENDS ${shmon_deb_doc}/changelog)
add_custom_target(shmon_deb_changelog ALL DEPENDS ${shmon_deb_doc}/changelog.gz)
install(FILES ${shmon_deb_doc}/copyright ${shmon_deb_doc}/changelog.gz
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT docs)
# Every install component but `python`, which is its own package: python3-shmon, whose CPack
# configuration probes/python/CMakeLists.txt writes.
get_cmake_property(shmon_components COMPONENTS)
list(REMOVE_ITEM shmon_components python)
set(CPACK_INSTALL_CMAKE_PROJECTS "")
foreach(component ${shmon_components})
  list(APPEND CPACK_INSTALL_CMAKE_PROJECTS ${CMAKE_BINARY_DIR} ${PROJECT_NAME} ${component} /)
endforeach()
include(CPack)
