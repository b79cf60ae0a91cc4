# SPDX-License-Identifier: Apache-2.0
# Runs at install time (install(CODE) includes it), so that the paths written into the units and
# desktop files are those of the prefix actually installed to (`cmake --install --prefix P`,
# CPack's /usr). Expects SHMON_PACKAGING_DIR, SHMON_BINARY_DIR, SHMON_BIN_SUBDIR, SHMON_DOC_SUBDIR
# and SHMON_DESKTOP_PART from the caller: `units` (the systemd user units, package shmon),
# `inspector` (its desktop entry) or `tray` (its desktop entry and XDG autostart).
set(SHMON_BIN_DIR "${CMAKE_INSTALL_PREFIX}/${SHMON_BIN_SUBDIR}")
set(SHMON_DOC_DIR "${CMAKE_INSTALL_PREFIX}/${SHMON_DOC_SUBDIR}")
set(out "${SHMON_BINARY_DIR}/installed-desktop")
set(readable OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
if(SHMON_DESKTOP_PART STREQUAL "units")
  foreach(unit "shmon-agent@.socket" "shmon-agent@.service")
    configure_file("${SHMON_PACKAGING_DIR}/systemd/${unit}" "${out}/${unit}" @ONLY)
  endforeach()
  # systemd looks for user units of packages in /usr/lib/systemd/user (not the multiarch libdir).
  file(INSTALL "${out}/shmon-agent@.socket" "${out}/shmon-agent@.service"
       DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/user" FILE_PERMISSIONS ${readable})
  return()
endif()
set(app "shmon-${SHMON_DESKTOP_PART}")
configure_file("${SHMON_PACKAGING_DIR}/desktop/${app}.desktop" "${out}/${app}.desktop" @ONLY)
file(INSTALL "${out}/${app}.desktop" DESTINATION "${CMAKE_INSTALL_PREFIX}/share/applications"
     FILE_PERMISSIONS ${readable})
if(SHMON_DESKTOP_PART STREQUAL "tray")
  # The FHS places /usr's configuration in /etc; any other prefix keeps it inside the prefix.
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(sysconf "/etc")
  else()
    set(sysconf "${CMAKE_INSTALL_PREFIX}/etc")
  endif()
  # The tray starts with the desktop session (XDG autostart); a user disables it by copying the
  # file to ~/.config/autostart with Hidden=true, as for any autostart entry.
  file(INSTALL "${out}/shmon-tray.desktop" DESTINATION "${sysconf}/xdg/autostart"
       FILE_PERMISSIONS ${readable})
endif()
