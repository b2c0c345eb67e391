# Installing ksgate, and the Debian package of it (CPack's DEB generator: `make package` ->
# build/package/ksgate_<version>_amd64.deb). What the package holds, and why, is in
# docs/operations.md ("Package contents"). CPack runs no debhelper, so packaging/debian/ holds
# the maintainer scripts written by hand in its idioms.
#
#   /usr/bin/ksgate                          the binary (stripped)
#   /etc/ksgate/ksgate.toml                  the default configuration (a conffile)
#   /lib/systemd/system/ksgate.service       the unit (User=ksgate, hardened)
#   /usr/share/doc/ksgate/                   copyright, changelog.Debian.gz, operations.md
#   /var/lib/ksgate, /var/log/ksgate         made by postinst and systemd (StateDirectory=)

set(KSGATE_PACKAGE_MAINTAINER "ksgate maintainers <ksgate@example.org>"
    CACHE STRING "Maintainer field of the Debian package")

install(TARGETS ksgate RUNTIME DESTINATION bin)
# 0644 as Debian ships conffiles; postinst makes it root:ksgate 0640 (it may hold a password).
install(FILES packaging/ksgate.toml DESTINATION /etc/ksgate
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES packaging/ksgate.service DESTINATION /lib/systemd/system
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Debian wants the changelog compressed, reproducibly (gzip -9n: no name, no time stamp).
set(changelog_gz ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz)
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/packaging)
execute_process(COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/packaging/debian/changelog
                OUTPUT_FILE ${changelog_gz} COMMAND_ERROR_IS_FATAL ANY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/packaging/debian/changelog)
install(FILES packaging/debian/copyright ${changelog_gz} docs/operations.md
        DESTINATION share/doc/ksgate PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ksgate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_SOURCE_DIR}/build/package)
set(CPACK_PACKAGE_CONTACT "${KSGATE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Kaltura-compatible app tokens and sessions, and a gate for APIs")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "ksgate serves Kaltura's appToken and session services (the official\n\
Kaltura client libraries work against it unchanged) and guards other\n\
APIs: as a proxy, or as the authorize endpoint of nginx auth_request,\n\
Envoy ext_authz or Traefik forwardAuth. It keeps partners, tokens and\n\
revocations in SQLite or PostgreSQL.")
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # ksgate_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries' packages come from dpkg-shlibdeps (dpkg-dev); the maintainer scripts need
# adduser and deb-systemd-helper (init-system-helpers).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Only what the install rules above name (no tests, benchmarks or fuzzers).
set(CPACK_COMPONENTS_ALL Unspecified)
include(CPack)
