# SPDX-License-Identifier: Apache-2.0
# bash completion for shmonctl, where bash-completion looks for it (loaded on first use).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/completion/shmonctl
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT programs)
