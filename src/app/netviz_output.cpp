// netviz_output.cpp: -e netviz at the end of a run (see netviz_output.h).
#include "tcpflow/app/netviz_output.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "tcpflow/output/netviz_page.h"
#include "tcpflow/version.h"

namespace tcpflow {

void write_netviz_output(const TrafficStats& traffic, const Options& opt, const std::string& report_path,
                         const std::string& folder, const std::optional<UserIds>& owner, Diagnostics& diag) {
    // A report written to a device (-X /dev/stdout) has no folder to share: the output folder.
    const std::string xml = report_path.rfind("/dev/", 0) != 0 ? report_path : std::string{};
    const auto slash = xml.rfind('/');
    std::string path = xml.empty() ? folder + "/" : slash == std::string::npos ? "" : xml.substr(0, slash + 1);
    path += "report." + opt.netviz_format;
    NetvizPageInfo info;
    info.program = "tcpflow " + std::string(kVersion);
    if (opt.live) info.inputs.push_back("interface " + (opt.interface.empty() ? std::string("(default)") : opt.interface));
    for (const auto& f : opt.read_files) info.inputs.push_back(f);
    for (const auto& f : opt.resume_files) info.inputs.push_back(f + " (-R)");
    info.generated_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    const PageFormat format = opt.netviz_format == "svg" ? PageFormat::svg
                              : opt.netviz_format == "png" ? PageFormat::png : PageFormat::pdf;
    std::string err;
    if (!write_netviz_page(traffic, info, format, path, err)) {
        diag.error("cannot write " + path + ": " + err);
        return;
    }
    if (owner && ::chown(path.c_str(), owner->uid, owner->gid) != 0) {
        // as for report.xml: handing the page over is a convenience
    }
    if (opt.netviz_histogram_dump) {
        for (const auto& e : traffic.sources().all())
            std::printf("netviz src %s %llu\n", e.address.to_string().c_str(), static_cast<unsigned long long>(e.bytes));
        for (const auto& e : traffic.destinations().all())
            std::printf("netviz dst %s %llu\n", e.address.to_string().c_str(), static_cast<unsigned long long>(e.bytes));
        std::fflush(stdout);
    }
}


}  // namespace tcpflow
