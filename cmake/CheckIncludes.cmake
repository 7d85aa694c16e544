# CheckIncludes.cmake: the include graph follows the layers (README "Layout").
# Run as: cmake -DROOT=<source dir> -P CheckIncludes.cmake
# - The core (base/, decode/, flow/, content/, traffic/, tls/) includes nothing of capture/, output/ or
#   app/, nor cairo.
# - base/ includes only base/.
# - The decoding helpers (link_layer, ip, tunnel, defrag) never include the decoder: they share
#   the packet vocabulary (decode/packet.h) with it.
set(bad "")
function(check_files glob regex why)
  file(GLOB_RECURSE files ${glob})
  foreach(f IN LISTS files)
    file(STRINGS "${f}" hits REGEX "${regex}")
    if(hits)
      file(RELATIVE_PATH rel "${ROOT}" "${f}")
      set(bad "${bad}\n  ${rel}: ${why}: ${hits}")
    endif()
  endforeach()
  set(bad "${bad}" PARENT_SCOPE)
endfunction()
set(outer "#include \"tcpflow/(app|output|capture)/")
foreach(layer base decode flow content traffic tls)
  check_files("${ROOT}/include/tcpflow/${layer}/*.h" "${outer}" "core includes an adapter")
  check_files("${ROOT}/src/${layer}/*.cpp" "${outer}" "core includes an adapter")
  check_files("${ROOT}/include/tcpflow/${layer}/*.h" "#include <cairo" "core includes cairo (netviz draws in output/)")
  check_files("${ROOT}/src/${layer}/*.cpp" "#include <cairo" "core includes cairo (netviz draws in output/)")
endforeach()
check_files("${ROOT}/include/tcpflow/base/*.h" "#include \"tcpflow/(decode|flow|content)/" "base includes a higher layer")
foreach(helper link_layer ip tunnel defrag)
  check_files("${ROOT}/include/tcpflow/decode/${helper}.h" "#include \"tcpflow/decode/decoder.h\"" "helper includes the decoder")
  check_files("${ROOT}/src/decode/${helper}.cpp" "#include \"tcpflow/decode/decoder.h\"" "helper includes the decoder")
endforeach()
if(bad)
  message(FATAL_ERROR "includes that run against the layers:${bad}")
endif()
message(STATUS "includes follow the layers")
