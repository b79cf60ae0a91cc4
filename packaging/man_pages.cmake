# SPDX-License-Identifier: Apache-2.0
# Manual pages: one per program, made by help2man from the program's own --help and --version
# (so a page cannot drift from the options), with the environment and the other pages from
# packaging/man/common.h2m; gzipped as Debian installs them, each in its program's package.
# REQUIRES: `shmon_programs` lists the program targets of this build and `shmon_component_<program>`
# names each one's install component.
find_program(HELP2MAN help2man)
if(NOT HELP2MAN)
  message(STATUS "help2man not found: no manual pages (scripts/setup.sh installs it)")
  return()
endif()
set(shmon_man_names
  "shmon-agent=serve one shmon instance: rendezvous, shared memory, aggregation, /metrics"
  "shmonctl=query and watch a running shmon agent"
  "shmon-inspector=watch a shmon agent's clients, mutex, timeouts and regions in a window"
  "shmon-tray=a tray icon to watch, start and stop a shmon agent"
  "shmon-demo=a pretend service that feeds a shmon agent"
  "shmon-loadgen=add a known total to a counter and wait for the agent's acknowledgement")
set(shmon_man_pages)
foreach(entry IN LISTS shmon_man_names)
  string(FIND "${entry}" "=" eq)
  string(SUBSTRING "${entry}" 0 ${eq} program)
  math(EXPR after "${eq} + 1")
  string(SUBSTRING "${entry}" ${after} -1 summary)
  if(NOT program IN_LIST shmon_programs)
    continue()
  endif()
  set(page ${CMAKE_BINARY_DIR}/man/${program}.1)
  add_custom_command(OUTPUT ${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section 1 --name "${summary}"
            --include ${PROJECT_SOURCE_DIR}/packaging/man/common.h2m --output ${page}
            $<TARGET_FILE:${program}>
    COMMAND gzip -9nf ${page}
    DEPENDS ${program} ${PROJECT_SOURCE_DIR}/packaging/man/common.h2m
    COMMENT "Manual page ${program}(1)"
    VERBATIM)
  list(APPEND shmon_man_pages ${page}.gz)
  install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
    COMPONENT ${shmon_component_${program}})
endforeach()
add_custom_target(shmon_man_pages ALL DEPENDS ${shmon_man_pages})
