# CheckCoreLinks.cmake: fails when the core archive calls libpcap, CLI11, cairo or file I/O.
# Run as: cmake -DNM=<nm> -DARCHIVE=<libtcpflow_core.a> -P CheckCoreLinks.cmake
# The core (base/, decode/, flow/, content/) talks to the outside only through FlowSink and byte
# spans; a symbol listed here in its undefined set means an adapter's job leaked into it.
execute_process(COMMAND ${NM} -u -C ${ARCHIVE} OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${ARCHIVE}")
endif()
set(forbidden
  "pcap_[a-z_]+" "CLI::[A-Za-z_:]+" "cairo_[a-z0-9_]+"
  "open" "open64" "openat" "openat64" "creat" "fopen" "fopen64" "fdopen" "read" "pread" "pread64"
  "write" "pwrite" "pwrite64" "writev" "close" "fclose" "fwrite" "fread" "fprintf" "printf" "puts"
  "mkdir" "unlink" "rename" "futimens" "utimensat" "fchown" "stat" "fstat" "lseek" "lseek64"
  "ftruncate" "clock_gettime" "time" "gettimeofday")
set(found "")
string(REPLACE "\n" ";" lines "${undefined}")
foreach(line IN LISTS lines)
  string(STRIP "${line}" line)
  string(REGEX REPLACE "^U +" "" sym "${line}")
  string(REGEX REPLACE "@.*$" "" sym "${sym}")
  foreach(f IN LISTS forbidden)
    if(sym MATCHES "^${f}$")
      list(APPEND found "${sym}")
    endif()
  endforeach()
endforeach()
if(found)
  list(REMOVE_DUPLICATES found)
  message(FATAL_ERROR "the core links what belongs to the adapters: ${found}")
endif()
message(STATUS "core archive: no libpcap, CLI11, cairo, file I/O or clock symbols")
