// netviz_output.h: -e netviz at the end of a run: the page (netviz_page.h) written beside
// report.xml, handed to the invoking user, and -S netviz_histogram_dump.
#pragma once

#include <optional>
#include <string>

#include "tcpflow/app/options.h"
#include "tcpflow/app/privileges.h"
#include "tcpflow/output/diagnostics.h"
#include "tcpflow/traffic/traffic_stats.h"

namespace tcpflow {

/// Writes the page for `traffic` beside `report_path` (in `folder` when there is no report or it
/// is a device); errors go to `diag`.
void write_netviz_output(const TrafficStats& traffic, const Options& opt, const std::string& report_path,
                         const std::string& folder, const std::optional<UserIds>& owner, Diagnostics& diag);

}  // namespace tcpflow
