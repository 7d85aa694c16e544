# Install.cmake: what `cmake --install` places (any prefix, DESTDIR honoured), as Debian lays it out:
#   bin/tcpflow
#   share/man/man1/tcpflow.1.gz                    (gzip -9n, as dh_compress does)
#   share/bash-completion/completions/tcpflow      (generated from the option table)
#   share/zsh/vendor-completions/_tcpflow          (TCPFLOW_ZSH_COMPLETION_DIR; generated too)
#   share/doc/<package>/copyright, changelog.gz     (machine-readable copyright; Debian changelog)
# Package.cmake turns the same tree into a .deb.
set(TCPFLOW_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
    CACHE STRING "Where the bash completion goes (relative: below the prefix)")
set(TCPFLOW_ZSH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions"
    CACHE STRING "Where the zsh completion goes (Debian: vendor-completions; elsewhere site-functions)")
set(TCPFLOW_PACKAGE_MAINTAINER "tcpflow-ng maintainers <tcpflow-ng@example.org>"
    CACHE STRING "Maintainer field of the Debian package and its changelog")
find_program(TCPFLOW_GZIP gzip REQUIRED)

# The completion scripts, made from the option table by a small program at build time.
add_executable(gen_completion src/gen_completion.cpp)
target_link_libraries(gen_completion PRIVATE tcpflow_io)
tcpflow_set_warnings(gen_completion)
set(TCPFLOW_BASH_COMPLETION ${PROJECT_BINARY_DIR}/completion/tcpflow)
set(TCPFLOW_ZSH_COMPLETION ${PROJECT_BINARY_DIR}/completion/_tcpflow)
add_custom_command(
  OUTPUT ${TCPFLOW_BASH_COMPLETION} ${TCPFLOW_ZSH_COMPLETION}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/completion
  COMMAND gen_completion ${TCPFLOW_BASH_COMPLETION} ${TCPFLOW_ZSH_COMPLETION}
  DEPENDS gen_completion
  COMMENT "Generating the bash and zsh completion from the option table"
  VERBATIM)

# gzip -9n: no name, no time stamp, so the same input gives the same bytes (reproducible builds).
function(tcpflow_gzip input output)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DGZIP=${TCPFLOW_GZIP} -DIN=${input} -DOUT=${output}
            -P ${PROJECT_SOURCE_DIR}/cmake/Gzip.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/Gzip.cmake
    VERBATIM)
endfunction()
set(TCPFLOW_MAN_GZ ${PROJECT_BINARY_DIR}/man/tcpflow.1.gz)
tcpflow_gzip(${PROJECT_SOURCE_DIR}/man/tcpflow.1 ${TCPFLOW_MAN_GZ})
configure_file(packaging/changelog.in ${PROJECT_BINARY_DIR}/packaging/changelog @ONLY)
set(TCPFLOW_CHANGELOG_GZ ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
tcpflow_gzip(${PROJECT_BINARY_DIR}/packaging/changelog ${TCPFLOW_CHANGELOG_GZ})
add_custom_target(tcpflow_install_files ALL
  DEPENDS ${TCPFLOW_BASH_COMPLETION} ${TCPFLOW_ZSH_COMPLETION} ${TCPFLOW_MAN_GZ} ${TCPFLOW_CHANGELOG_GZ})

install(TARGETS tcpflow)
install(FILES ${TCPFLOW_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${TCPFLOW_BASH_COMPLETION} DESTINATION ${TCPFLOW_BASH_COMPLETION_DIR})
install(FILES ${TCPFLOW_ZSH_COMPLETION} DESTINATION ${TCPFLOW_ZSH_COMPLETION_DIR})
install(FILES packaging/copyright ${TCPFLOW_CHANGELOG_GZ} DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${TCPFLOW_PACKAGE_NAME})

include(cmake/Package.cmake)
