// pipeline.h: one run of tcpflow, wired from Options: sources -> decoder -> flow table -> sinks,
// the report, signals and the exit status. main() only parses the command line and calls run().
#pragma once

#include "tcpflow/app/options.h"

namespace tcpflow {

/// Exit status: 0 success, 1 runtime failure (after saving everything that could be saved),
/// 2 usage error (bad filter expression).
int run(const Options& options);

}  // namespace tcpflow
