#pragma once

// The one way to include SOCI. Debian's soci-config.h declares Boost support,
// which would make <soci/soci.h> require Boost headers we do not use.
#include <soci/soci-config.h>
#undef SOCI_HAVE_BOOST
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
