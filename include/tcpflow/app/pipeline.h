// pipeline.h: one run of tcpflow, wired from Options: the output plan (output_plan.h), the capture
// loop (capture_loop.h) over every source, the flow table or -j worker pool, the sinks, the
// post-close work (flow_finisher.h), the report and the exit status. main() only parses the
// command line and calls run().
#pragma once

#include "tcpflow/app/exit_status.h"
#include "tcpflow/app/options.h"

namespace tcpflow {

/// ok; failure after saving everything that could be saved; usage for a filter libpcap refuses on
/// a live interface (the command line checks it first).
ExitStatus run(const Options& options);

}  // namespace tcpflow
