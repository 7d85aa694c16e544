// --udp against tshark: for every capture in ../shared/corpus that holds UDP, the -udp files the
// built binary writes equal, byte for byte, what `tshark -r CAP -q -z follow,udp,raw,N` gives for
// each stream N and direction, and no other -udp file is written. tshark writes the truth here
// (tools/deps.sh installs it); without it, or without the corpus, the test skips with the reason.
//
// Captures where tcpflow differs from tshark on purpose (also in the man page, UDP):
//   zeek-tunnels-vxlan-http.pcap: tshark follows the VXLAN carrier (UDP 4789) as a UDP stream;
//     tcpflow decapsulates it and follows the TCP inside, so it writes no UDP flow at all.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/run.h"

namespace tcpflow::test {
namespace {

namespace fs = std::filesystem;

const std::string kCorpus = std::string(TCPFLOW_SHARED_DIR) + "/corpus";

const std::map<std::string, std::string> kDifferOnPurpose = {
    {"zeek-tunnels-vxlan-http.pcap",
     "tshark follows the VXLAN carrier as a UDP stream; tcpflow decapsulates it (no UDP flow for the carrier)"},
};

bool have_tshark() { return run_program({"/usr/bin/env", "tshark", "-v"}).exit_code == 0; }

/// "10.0.0.1" -> "010.000.000.001" (the default template's IPv4); "[2001:db8::1]" -> "2001:db8::1".
std::string name_address(std::string a) {
    if (!a.empty() && a.front() == '[') return a.substr(1, a.size() - 2);
    if (a.find(':') != std::string::npos) return a;
    std::string out;
    std::stringstream in{a};
    for (std::string part; std::getline(in, part, '.');) {
        if (!out.empty()) out += '.';
        out += std::string(3 - std::min<std::size_t>(3, part.size()), '0') + part;
    }
    return out;
}

/// "10.0.0.1:53" -> "010.000.000.001.00053".
std::string name_endpoint(const std::string& node) {
    const auto colon = node.rfind(':');
    const std::string port = node.substr(colon + 1);
    return name_address(node.substr(0, colon)) + "." + std::string(5 - std::min<std::size_t>(5, port.size()), '0') + port;
}

std::string unhex(const std::string& h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
    return out;
}

/// The UDP stream numbers tshark sees in a capture.
std::set<int> udp_streams(const std::string& cap) {
    const auto r = run_program({"/usr/bin/env", "tshark", "-r", cap, "-Y", "udp", "-T", "fields", "-e", "udp.stream"}, "", 120);
    std::set<int> s;
    std::stringstream in{r.out};
    for (std::string line; std::getline(in, line);) {
        std::stringstream l{line};
        for (std::string f; std::getline(l, f, ',');)   // a tunnel holds several UDP layers
            if (!f.empty()) s.insert(std::stoi(f));
    }
    return s;
}

/// tshark's follow,udp,raw of every stream: expected file name -> bytes.
std::map<std::string, std::string> tshark_truth(const std::string& cap, const std::set<int>& streams) {
    std::vector<std::string> argv{"/usr/bin/env", "tshark", "-r", cap, "-q"};
    for (const int n : streams) {
        argv.push_back("-z");
        argv.push_back("follow,udp,raw," + std::to_string(n));
    }
    const auto r = run_program(argv, "", 300);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> truth;
    std::string node0, node1;
    std::stringstream in{r.out};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("Node 0: ", 0) == 0) {
            node0 = name_endpoint(line.substr(8));
        } else if (line.rfind("Node 1: ", 0) == 0) {
            node1 = name_endpoint(line.substr(8));
        } else if (!line.empty() && line[0] == '\t' && !node1.empty()) {
            truth[node1 + "-" + node0 + "-udp"] += unhex(line.substr(1));
        } else if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && !node0.empty()) {
            truth[node0 + "-" + node1 + "-udp"] += unhex(line);
        } else if (line.rfind("=====", 0) == 0) {
            node0.clear();
            node1.clear();
        }
    }
    return truth;
}

std::map<std::string, std::string> udp_files(const std::string& dir) {
    std::map<std::string, std::string> m;
    for (const auto& [name, data] : read_tree(dir))
        if (name.size() > 4 && name.compare(name.size() - 4, 4, "-udp") == 0) m[name] = data;
    return m;
}

TEST(UdpCorpus, FilesEqualTsharkFollowUdpRaw) {
    if (!fs::is_directory(kCorpus)) GTEST_SKIP() << "../shared/corpus is absent: UDP corpus comparison skipped";
    if (!have_tshark()) GTEST_SKIP() << "tshark is not installed (tools/deps.sh installs it): UDP corpus comparison skipped";
    int compared = 0;
    std::vector<std::string> caps;
    for (const auto& e : fs::directory_iterator(kCorpus)) {
        const std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng")) caps.push_back(e.path().string());
    }
    std::sort(caps.begin(), caps.end());
    // Which captures hold UDP: one tshark each, four at a time (each mostly waits for its start-up).
    std::vector<std::set<int>> streams_of(caps.size());
    for (std::size_t at = 0; at < caps.size(); at += 4) {
        std::vector<std::future<std::set<int>>> batch;
        for (std::size_t i = at; i < std::min(caps.size(), at + 4); ++i)
            batch.push_back(std::async(std::launch::async, udp_streams, caps[i]));
        for (std::size_t i = 0; i < batch.size(); ++i) streams_of[at + i] = batch[i].get();
    }
    for (std::size_t i = 0; i < caps.size(); ++i) {
        const std::string& cap = caps[i];
        const std::string base = fs::path(cap).filename().string();
        const std::set<int>& streams = streams_of[i];
        if (streams.empty()) continue;
        SCOPED_TRACE(base);
        TempDir tmp;
        const auto r = run_tcpflow({"--udp", "-r", cap, "-o", tmp / "o"});
        ASSERT_LT(r.exit_code, 124) << r.err;
        const auto ours = udp_files(tmp / "o");
        if (kDifferOnPurpose.count(base)) {
            EXPECT_TRUE(ours.empty()) << "tunnel carrier written as a UDP flow: " << ours.begin()->first;
            continue;
        }
        const auto truth = tshark_truth(cap, streams);
        for (const auto& [name, data] : truth) {
            const auto it = ours.find(name);
            if (data.empty()) {
                EXPECT_EQ(it, ours.end()) << name << ": a direction without payload gets no file";
                continue;
            }
            ASSERT_NE(it, ours.end()) << "missing " << name;
            EXPECT_EQ(it->second, data) << name;
        }
        for (const auto& [name, data] : ours) EXPECT_TRUE(truth.count(name)) << "not in tshark's streams: " << name;
        ++compared;
    }
    EXPECT_GE(compared, 1) << "no capture with UDP in the corpus";
}

}  // namespace
}  // namespace tcpflow::test
