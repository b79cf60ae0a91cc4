# SPDX-License-Identifier: Apache-2.0
# CPack: Debian-shaped packages from one build, one per install component (`cpack -G DEB --config
# BUILD_DIR/CPackConfig.cmake`; the packaging prefix is /usr):
#
#   libshmon-probe0     runtime    the shared library (its SONAME is libshmon_probe.so.0)
#   libshmon-probe-dev  sdk        headers, static library, .so link, CMake package, pkg-config
#   shmon               programs   shmon-agent, shmonctl, the systemd user units, the docs
#   shmon-inspector     inspector  the Dear ImGui window and its desktop entry
#   shmon-tray          tray       the tray icon, its desktop entry and XDG autostart
#   shmon-examples      examples   shmon-demo and shmon-loadgen (sample apps, kept off a server)
#   python3-shmon       python     the Python package (probes/python/)
#
# lintian must report no errors and no warnings on any of them (tests/install/deb_test.sh).
set(CPACK_PACKAGE_NAME shmon)
set(CPACK_PACKAGE_VENDOR "shmon developers")
set(CPACK_PACKAGE_CONTACT "${SHMON_MAINTAINER}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(shmon_deb_control ${CMAKE_BINARY_DIR}/deb-control)
set(shmon_deb_doc ${CMAKE_BINARY_DIR}/deb-doc)
file(MAKE_DIRECTORY ${shmon_deb_doc})
# Debian policy files, the same for every package: copyright and a compressed changelog in
# /usr/share/doc/<package>.
configure_file(${CMAKE_CURRENT_LIST_DIR}/copyright ${shmon_deb_doc}/copyright COPYONLY)
string(TIMESTAMP shmon_deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${shmon_deb_doc}/changelog
  "shmon (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
  "  * Built from the shmon source tree.\n\n"
  " -- ${SHMON_MAINTAINER}  ${shmon_deb_date}\n")
add_custom_command(OUTPUT ${shmon_deb_doc}/changelog.gz
  COMMAND gzip -9nf -k ${shmon_deb_doc}/changelog
  DEPENDS ${shmon_deb_doc}/changelog)
add_custom_target(shmon_deb_changelog ALL DEPENDS ${shmon_deb_doc}/changelog.gz)

# shmon_deb_package(COMPONENT PACKAGE SECTION SUMMARY DESCRIPTION [DEPENDS d] [RECOMMENDS r])
# declares COMPONENT's package and installs its policy files.
function(shmon_deb_package component package section summary description)
  cmake_parse_arguments(arg "" "DEPENDS;RECOMMENDS" "" ${ARGN})
  string(TOUPPER ${component} c)
  set(CPACK_DEBIAN_${c}_PACKAGE_NAME ${package} PARENT_SCOPE)
  set(CPACK_DEBIAN_${c}_PACKAGE_SECTION ${section} PARENT_SCOPE)
  # CPack indents every line of the long description by one space itself.
  set(CPACK_DEBIAN_${c}_DESCRIPTION "${summary}\n${description}" PARENT_SCOPE)
  set(CPACK_DEBIAN_${c}_PACKAGE_DEPENDS "${arg_DEPENDS}" PARENT_SCOPE)
  set(CPACK_DEBIAN_${c}_PACKAGE_RECOMMENDS "${arg_RECOMMENDS}" PARENT_SCOPE)
  install(FILES ${shmon_deb_doc}/copyright ${shmon_deb_doc}/changelog.gz
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package} COMPONENT ${component})
endfunction()

set(shmon_same_version "(= ${PROJECT_VERSION})")
shmon_deb_package(runtime libshmon-probe0 libs
  "shmon probe library: telemetry over shared memory"
  "Programs link the probe library and update counters, gauges,
histograms and events without locks or system calls; a shmon agent
collects them through shared memory. This package holds the shared
library.")
shmon_deb_package(sdk libshmon-probe-dev libdevel
  "shmon probe library: development files"
  "Headers for C and C++, the static library, the CMake package
(find_package(shmon)) and the pkg-config module (shmon-probe) for
programs that report to a shmon agent."
  DEPENDS "libshmon-probe0 ${shmon_same_version}")
shmon_deb_package(programs shmon admin
  "runtime monitor for Linux programs over shared memory"
  "One agent per instance collects counters, gauges, histograms and
events from instrumented programs through shared memory, keeps exact
totals across restarts and exports them to Prometheus. Includes the
agent, shmonctl and the systemd user units.")
if(TARGET shmon-inspector)
shmon_deb_package(inspector shmon-inspector admin
  "window to watch a shmon agent"
  "Shows a shmon agent's clients, their metrics, the client mutex, its
wait times and timeouts, and the raw shared-memory regions."
  DEPENDS "fonts-dejavu-core" RECOMMENDS "shmon ${shmon_same_version}")
endif()
if(TARGET shmon-tray)
shmon_deb_package(tray shmon-tray admin
  "tray icon to watch, start and stop a shmon agent"
  "Shows whether a shmon agent runs, its apps and event rate, and warns
about drops and timeouts; starts with the desktop session."
  DEPENDS "shmon ${shmon_same_version}" RECOMMENDS "shmon-inspector ${shmon_same_version}")
endif()
shmon_deb_package(examples shmon-examples devel
  "sample programs that feed a shmon agent"
  "shmon-demo pretends to be a service with requests, latencies and
events; shmon-loadgen adds a known total to a counter and waits for the
agent to acknowledge it."
  RECOMMENDS "shmon ${shmon_same_version}")

# libshmon-probe0's shlibs entry and the ldconfig trigger (what lintian asks of a library package,
# instead of ldconfig in maintainer scripts).
file(WRITE ${shmon_deb_control}/runtime/shlibs
  "libshmon_probe 0 libshmon-probe0 (>= ${PROJECT_VERSION})\n")
file(WRITE ${shmon_deb_control}/runtime/triggers "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
  ${shmon_deb_control}/runtime/shlibs ${shmon_deb_control}/runtime/triggers)
# CPack also calls ldconfig from postinst/postrm for it; the trigger makes those redundant.
set(CPACK_POST_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/drop_ldconfig_scripts.cmake)
# The tray's XDG autostart entry is the only file in /etc (packaging/install_desktop.cmake).
if(TARGET shmon-tray)
  file(WRITE ${shmon_deb_control}/tray/conffiles "/etc/xdg/autostart/shmon-tray.desktop\n")
  set(CPACK_DEBIAN_TRAY_PACKAGE_CONTROL_EXTRA ${shmon_deb_control}/tray/conffiles)
endif()
# python3-shmon (probes/python/CMakeLists.txt sets the Python version range it was built for).
if(SHMON_PYTHON_DEB_DEPENDS)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-shmon)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
  set(CPACK_DEBIAN_PYTHON_DESCRIPTION "shmon probe for Python (prometheus_client drop-in)
The shmon package for Python 3: counters, gauges, histograms, events
and commands through the shmon probe, and shmon.prometheus, whose
Counter, Gauge and Histogram replace prometheus_client's in pre-fork
servers (gunicorn, multiprocessing) with exact totals across workers
and no multiprocess directory. The probe library is linked in.")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "${SHMON_PYTHON_DEB_DEPENDS}")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_RECOMMENDS "shmon ${shmon_same_version}")
endif()
include(CPack)
