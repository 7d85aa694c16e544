// netviz_page.h: the one-page picture of a capture (-e netviz): header, time histogram with its
// legend, packetfall, top source and destination addresses and ports, drawn with cairo from the
// statistics the core gathered (traffic/traffic_stats.h) as PDF, SVG or PNG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tcpflow/traffic/traffic_stats.h"

namespace tcpflow {

enum class PageFormat { pdf, svg, png };

struct NetvizPageInfo {
    std::string program;               ///< "tcpflow 2.0.0"
    std::vector<std::string> inputs;   ///< the files read, or "interface eth0"
    std::int64_t generated_ns = 0;     ///< when the page was made (wall clock)
};

/// Writes the page to the first free name of `path` (`path`, then cN before the extension, as
/// report.xml); `path` becomes the name written. False with `error` set when it cannot be written.
bool write_netviz_page(const TrafficStats& stats, const NetvizPageInfo& info, PageFormat format, std::string& path,
                       std::string& error);

/// The lines of the header, as printed (tested without cairo).
[[nodiscard]] std::vector<std::string> netviz_header(const TrafficStats& stats, const NetvizPageInfo& info);

}  // namespace tcpflow
