# tcpflow_set_warnings(<target>): the project's warning set, -Werror when TCPFLOW_WERROR,
# and the sanitizers named in TCPFLOW_SANITIZERS, for compile and link.
function(tcpflow_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion -Wshadow
                         -Wnon-virtual-dtor)
  if(TCPFLOW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(TCPFLOW_SANITIZERS)
    target_compile_options(${target} PRIVATE -fsanitize=${TCPFLOW_SANITIZERS} -fno-omit-frame-pointer
                           -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${TCPFLOW_SANITIZERS})
  endif()
endfunction()
