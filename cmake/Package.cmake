# Package.cmake: `cpack -G DEB` in the build folder makes <package>_<version>_<arch>.deb from what
# Install.cmake installs, with the prefix /usr.
#
# The package is TCPFLOW_PACKAGE_NAME (tcpflow-ng), not "tcpflow": Debian's tcpflow 1.6.1 is a
# different program at a lower version, and a package of the same name would replace it as a
# silent "upgrade". Both install /usr/bin/tcpflow and its man page, so tcpflow-ng
#   Conflicts: tcpflow   and   Replaces: tcpflow   (apt lists tcpflow under "REMOVED" and asks;
#                                                   dpkg -i says it removes tcpflow in its favour)
#   Provides:  tcpflow (= VERSION)                  (what depends on tcpflow stays satisfied)
# Going back is `apt install tcpflow`, which removes tcpflow-ng the same way.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${TCPFLOW_PACKAGE_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${TCPFLOW_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "TCP flow recorder (a reimplementation of tcpflow)")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"tcpflow reads live traffic or pcap/pcapng capture files, reassembles every TCP
connection and writes each direction to its own file, named by address and
port, with a DFXML report of every flow. This is a C++20 reimplementation of
tcpflow 1.6.1 with the same options, file names and report, correct where
1.6.1 is wrong, faster, bounded in memory and hard to crash with a hostile
capture.
.
It replaces Debian's tcpflow package: both install /usr/bin/tcpflow.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${TCPFLOW_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONFLICTS "tcpflow")
set(CPACK_DEBIAN_PACKAGE_REPLACES "tcpflow")
set(CPACK_DEBIAN_PACKAGE_PROVIDES "tcpflow (= ${PROJECT_VERSION})")
# Debian's permissions whatever the umask of the build; stripped binary (the debug information
# stays in the build folder).
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_STRIP_FILES ON)
# cpack (and `make install`) install what is built and build nothing: the package test runs
# cpack inside ctest, where a rebuild of everything would race the tests. Build first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(CPack)
