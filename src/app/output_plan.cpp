#include "tcpflow/app/output_plan.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "tcpflow/output/file_sink.h"

namespace tcpflow {

namespace {

bool hooks_active(int alert_fd, const std::string& cmd) { return alert_fd >= 0 || !cmd.empty(); }

/// -U, sudo and -z: who drops to whom, who owns new files, where the folder is after the chroot.
std::optional<Error> plan_privileges(const Options& opt, const PlanEnvironment& env, OutputPlan& plan) {
    if (!opt.user.empty()) {
        auto u = env.find_user ? env.find_user(opt.user) : resolve_user(opt.user);
        if (!u) return Error{u.error()};
        plan.drop_to = *u;
    }
    plan.owner = output_owner(plan.drop_to, env.euid, env.sudo_uid ? env.sudo_uid->c_str() : nullptr,
                              env.sudo_gid ? env.sudo_gid->c_str() : nullptr);
    if (plan.owner && !plan.drop_to) {   // sudo without -U: new files belong to the invoking user
        plan.file_uid = static_cast<int>(plan.owner->uid);
        plan.file_gid = static_cast<int>(plan.owner->gid);
    }
    plan.folder_before_chroot = opt.outdir;
    plan.folder = opt.outdir;
    if (!opt.chroot_dir.empty()) {
        // -o is resolved before the chroot (against the current folder, symbolic links followed)
        // and must lie inside -z; files are then written at the same place seen from the new root.
        const auto canon = [&](const std::string& p) { return env.canonical ? env.canonical(p) : p; };
        auto inside = output_path_in_chroot(canon(opt.outdir), canon(opt.chroot_dir), env.cwd);
        if (!inside) return Error{inside.error()};
        plan.folder = *inside;
    }
    return std::nullopt;
}

SinkKind choose_sink(const Options& opt, bool use_pool) {
    if (opt.console.enabled) return SinkKind::console;
    if (!opt.store_files || opt.pcap_per_flow) return SinkKind::discard;   // -K replaces the flow files
    return use_pool ? SinkKind::workers : SinkKind::files;
}

/// report.xml: with flow files by default; in console mode only when -X names it.
std::string report_path(const Options& opt, bool writes_files) {
    if (!opt.report || !(writes_files || !opt.report_path.empty() || !opt.store_files)) return {};
    std::string path = opt.report_path;
    if (path.empty()) path = (opt.outdir.empty() || opt.outdir == ".") ? "report.xml" : opt.outdir + "/report.xml";
    return path == "/dev/null" ? std::string{} : path;
}

/// -j N: descriptors and memory are divided so that the whole process keeps to -f and --max-memory.
void plan_workers(const Options& opt, const PlanEnvironment& env, OutputPlan& plan) {
    const unsigned n = plan.workers;
    // Workers share the folder, but a connection's every name is made by the one worker its
    // addresses and ports hash to: with names that hold all four, no other worker can take one of
    // them, so each worker's I/O thread may create its files.
    plan.worker_create_behind = plan.name_template.names_endpoints();
    // -f (or the default from the process limit) is shared by the workers, less the descriptors
    // each may still have open while their closes wait for its I/O thread.
    const int all = (opt.max_fds > 0 ? opt.max_fds : env.default_max_fds) -
                    env.queued_closes_per_worker * static_cast<int>(n);
    plan.worker_max_fds = std::max(4, all / static_cast<int>(n));
    // --max-memory is for the whole process: the reading thread's fragments and each worker's flows
    // get equal shares.
    plan.decoder_memory = opt.max_memory / (n + 1);
    plan.worker_memory = opt.max_memory / (n + 1);
}

/// True when the template has one of the numbers that count the flows of one process or
/// worker (%N %K %M %G %S).
bool counts_flows(const std::string& tmpl) {
    for (std::size_t i = 0; i + 1 < tmpl.size(); ++i) {
        if (tmpl[i] != '%') continue;
        if (std::string_view{"NKMGS"}.find(tmpl[i + 1]) != std::string_view::npos) return true;
        ++i;   // "%%" and every other escape
    }
    return false;
}

/// --shard: each shard's own report, -w file and flow index; what keeps shards from adding up to one run.
void plan_shard(const Options& opt, OutputPlan& plan) {
    if (opt.shard_count == 0) return;
    if (!plan.report_path.empty()) plan.report_path = shard_path(plan.report_path, opt.shard_index, opt.shard_count);
    if (!plan.unused_path.empty()) plan.unused_path = shard_path(plan.unused_path, opt.shard_index, opt.shard_count);
    if (!plan.flow_index_path.empty() && plan.flow_index_path != "-")
        plan.flow_index_path = shard_path(plan.flow_index_path, opt.shard_index, opt.shard_count);
    if (counts_flows(plan.name_template.text()))
        plan.warnings.emplace_back("--shard: %N %K %M %G and %S in the file names count this shard's flows: "
                                   "the names differ from one run's");
    else if (!plan.name_template.names_endpoints())
        plan.warnings.emplace_back("--shard: the file names do not hold both addresses and ports: shards writing into "
                                   "one folder may number the same name differently from one run");
}

}  // namespace

std::string shard_path(const std::string& path, unsigned index, unsigned count) {
    // Devices are written as they are: "-", /dev/stdout and the like, /dev/fd/N (not files in
    // folders under /dev, such as /dev/shm/out/report.xml).
    const bool device = path.rfind("/dev/", 0) == 0 &&
                        (path.find('/', 5) == std::string::npos || path.rfind("/dev/fd/", 0) == 0);
    if (path == "-" || device) return path;
    const std::string tag = "-" + std::to_string(index) + "-of-" + std::to_string(count);
    const auto slash = path.rfind('/');
    const std::size_t base = slash == std::string::npos ? 0 : slash + 1;
    const auto dot = path.rfind('.');
    // An extension: a dot inside the last component, not its first character.
    if (dot != std::string::npos && dot > base) return path.substr(0, dot) + tag + path.substr(dot);
    return path + tag;
}

Result<OutputPlan> plan_output(const Options& opt, const PlanEnvironment& env) {
    OutputPlan plan;
    plan.name_template = opt.name_template;
    if (auto err = plan_privileges(opt, env, plan)) return *err;
    const bool writes_files = opt.store_files && !opt.console.enabled;
    plan.make_folder = true;   // -o is created if needed, in every mode (as 1.6.1 does)
    plan.report_path = report_path(opt, writes_files);
    if (const auto slash = plan.report_path.rfind('/'); slash != std::string::npos && slash > 0)
        plan.report_folder = plan.report_path.substr(0, slash);
    if (opt.flow_index)
        plan.flow_index_path = !opt.flow_index_path.empty() ? opt.flow_index_path
                               : (opt.outdir.empty() || opt.outdir == ".") ? "flows.jsonl"
                                                                          : opt.outdir + "/flows.jsonl";
    // Writes, mtimes and closes on an I/O thread, unless something reads each file as soon as it
    // is closed (-e md5, -S hash=sha256, -e http, tcp_cmd and the alert descriptors).
    plan.write_behind = !opt.scan_md5 && !opt.scan_http && !opt.hash_sha256 &&
                        !hooks_active(opt.tcp_alert_fd, opt.tcp_cmd) && !hooks_active(opt.http_alert_fd, opt.http_cmd);
    const bool use_pool = opt.jobs > 1 && opt.store_files && !opt.console.enabled && !opt.pcap_per_flow && !opt.live;
    if (opt.jobs > 1 && !use_pool)
        plan.warnings.emplace_back("-j is used only when writing flow files from capture files; running one thread");
    plan.sink = choose_sink(opt, use_pool);
    plan.unused_path = opt.unused_pcap;
    plan_shard(opt, plan);
    plan.decoder_memory = opt.max_memory;
    if (use_pool) {
        plan.workers = opt.jobs;
        plan_workers(opt, env, plan);
    }
    return plan;
}

PlanEnvironment current_environment() {
    PlanEnvironment env;
    env.euid = ::geteuid();
    if (const char* u = std::getenv("SUDO_UID")) env.sudo_uid = u;
    if (const char* g = std::getenv("SUDO_GID")) env.sudo_gid = g;
    std::error_code ec;
    env.cwd = std::filesystem::current_path(ec).string();
    env.default_max_fds = FileSink::default_max_open();
    env.queued_closes_per_worker = FileSink::kQueuedCloses;
    env.find_user = [](const std::string& name) { return resolve_user(name); };
    env.canonical = [](const std::string& p) {
        namespace fs = std::filesystem;
        std::error_code e;
        const auto c = fs::weakly_canonical(fs::absolute(p, e), e);
        return e ? p : c.string();
    };
    return env;
}

}  // namespace tcpflow
