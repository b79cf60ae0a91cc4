# Runs at install time (install(CODE) includes it), so that the paths written into the units and
# desktop files are those of the prefix actually installed to (`cmake --install --prefix P`,
# CPack's /usr). Expects SHMON_PACKAGING_DIR, SHMON_BINARY_DIR, SHMON_BIN_SUBDIR,
# SHMON_DOC_SUBDIR and SHMON_WITH_TRAY / SHMON_WITH_INSPECTOR from the caller.
set(SHMON_BIN_DIR "${CMAKE_INSTALL_PREFIX}/${SHMON_BIN_SUBDIR}")
set(SHMON_DOC_DIR "${CMAKE_INSTALL_PREFIX}/${SHMON_DOC_SUBDIR}")
# The FHS places /usr's configuration in /etc; any other prefix keeps it inside the prefix.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(shmon_sysconf "/etc")
else()
  set(shmon_sysconf "${CMAKE_INSTALL_PREFIX}/etc")
endif()
set(out "${SHMON_BINARY_DIR}/installed-desktop")
foreach(unit "shmon-agent@.socket" "shmon-agent@.service")
  configure_file("${SHMON_PACKAGING_DIR}/systemd/${unit}" "${out}/${unit}" @ONLY)
endforeach()
# systemd looks for user units of packages in /usr/lib/systemd/user (not the multiarch libdir).
file(INSTALL "${out}/shmon-agent@.socket" "${out}/shmon-agent@.service"
     DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/user" FILE_PERMISSIONS OWNER_READ OWNER_WRITE
     GROUP_READ WORLD_READ)
set(apps)
if(SHMON_WITH_INSPECTOR)
  list(APPEND apps shmon-inspector)
endif()
if(SHMON_WITH_TRAY)
  list(APPEND apps shmon-tray)
endif()
foreach(app IN LISTS apps)
  configure_file("${SHMON_PACKAGING_DIR}/desktop/${app}.desktop" "${out}/${app}.desktop" @ONLY)
  file(INSTALL "${out}/${app}.desktop" DESTINATION "${CMAKE_INSTALL_PREFIX}/share/applications"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
if(SHMON_WITH_TRAY)
  # The tray starts with the desktop session (XDG autostart); a user disables it by copying the
  # file to ~/.config/autostart with Hidden=true, as for any autostart entry.
  file(INSTALL "${out}/shmon-tray.desktop" DESTINATION "${shmon_sysconf}/xdg/autostart"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
