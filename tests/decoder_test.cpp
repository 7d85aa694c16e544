// The Decoder as a whole: counting rules, robustness, and (when /work/shared is present) the
// real corpus captures of each link type and tunnel.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <filesystem>
#include <map>
#include <random>

#include "support/decode_helpers.h"

using namespace tcpflow;
using namespace tcpflow::test;

TEST(Decoder, EveryNonTcpOutcomeCountsExactlyOneReason) {
    const std::vector<std::pair<LinkType, Frame>> frames = {
        {LinkType::ethernet, ethernet_frame(0x0806, bytes(Frame(28, 0)))},
        {LinkType::ethernet, Frame(5, 0)},
        {LinkType::raw, ipv4_packet(ip("1.1.1.1"), ip("2.2.2.2"), 17, bytes(udp_datagram(1, 2, {})))},
        {LinkType::raw, ipv4_packet(ip("1.1.1.1"), ip("2.2.2.2"), 1, bytes(ip_tcp(spec4())))},
        {LinkType::raw, Frame{0x45}},
        {LinkType::null_bsd, Frame{99, 0, 0, 0, 0x45}},
    };
    for (const auto& [lt, f] : frames) {
        Harness h;
        DecodedPacket out;
        const DecodeStatus st = h.decode(lt, f, out);
        EXPECT_NE(st, DecodeStatus::transport);
        EXPECT_EQ(reasons(h.stats), 1u);
        EXPECT_EQ(h.stats.get(Counter::packets), 1u);
    }
}

TEST(Decoder, OutIsResetBetweenPackets) {
    Harness h;
    DecodedPacket out;
    ASSERT_EQ(h.decode(LinkType::ethernet, eth_tcp(spec4(), {{0x8100, 5}}), out), DecodeStatus::transport);
    EXPECT_TRUE(out.has_mac);
    ASSERT_EQ(h.decode(LinkType::raw, ip_tcp(spec6()), out), DecodeStatus::transport);
    EXPECT_FALSE(out.has_mac);
    EXPECT_EQ(out.vlans.count, 0);
    EXPECT_EQ(out.tunnel.kind, 0);
}

TEST(Decoder, RandomBytesNeverCrash) {
    std::mt19937 rng{12345};
    Harness h;
    DecodedPacket out;
    const Frame base = eth_tcp(spec4("some payload"), {{0x8100, 3}});
    const std::vector<LinkType> links = {LinkType::null_bsd, LinkType::ethernet, LinkType::raw, LinkType::linux_sll,
                                         LinkType::linux_sll2, LinkType::ppp, LinkType::c_hdlc, LinkType::ppp_ether,
                                         LinkType::ieee802_11, LinkType::ieee802_11_radio, LinkType::prism,
                                         LinkType::ppi, LinkType::nflog};
    for (int i = 0; i < 20000; ++i) {
        Frame f = base;
        const int flips = 1 + static_cast<int>(rng() % 6);
        for (int k = 0; k < flips; ++k) f[rng() % f.size()] = static_cast<std::uint8_t>(rng());
        f.resize(rng() % (f.size() + 1));
        (void)h.decode(links[rng() % links.size()], f, out, i);
    }
    EXPECT_EQ(h.stats.get(Counter::packets), 20000u);
}

// ---- Real captures ------------------------------------------------------------------------

namespace {

struct CorpusResult {
    std::map<DecodeStatus, int> status;
    std::map<std::string, std::uint64_t> extent;   // flow name -> highest byte offset seen
    std::vector<DecodedPacket> sample;             // first TCP packet (payload span dropped)
    std::uint64_t payload_bytes = 0;
};

std::string flow_name(const DecodedPacket& p) {
    char ports[32];
    std::snprintf(ports, sizeof ports, ".%05u-", p.sport);
    std::string n = p.src.to_flow_string() + ports + p.dst.to_flow_string();
    std::snprintf(ports, sizeof ports, ".%05u", p.dport);
    n += ports;
    if (p.vlans.count && p.vlans.outer()) n += "--" + std::to_string(p.vlans.outer());
    return n;
}

std::optional<CorpusResult> decode_capture(const std::string& name) {
    const std::filesystem::path path = std::filesystem::path{TCPFLOW_SHARED_DIR} / "corpus" / name;
    if (!std::filesystem::exists(path)) return std::nullopt;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* pc = pcap_open_offline(path.c_str(), err);
    if (pc == nullptr) return std::nullopt;
    CorpusResult res;
    const auto lt = link_type_from_dlt(pcap_datalink(pc));
    if (!lt) {
        pcap_close(pc);
        return res;
    }
    Harness h;
    std::map<std::string, std::uint32_t> base;
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(pc, &hdr, &data) == 1) {
        DecodedPacket out;
        const DecodeStatus st = h.decoder.decode(*lt, Bytes{data, hdr->caplen},
                                                 Timestamp::from_sec_usec(hdr->ts.tv_sec, hdr->ts.tv_usec), out);
        ++res.status[st];
        if (st != DecodeStatus::transport) continue;
        if (res.sample.empty()) {
            res.sample.push_back(out);
            res.sample.back().payload = {};
        }
        res.payload_bytes += out.payload.size();
        const std::string n = flow_name(out);
        if (out.tcp.flags & tcp_flags::syn) base[n] = out.tcp.seq + 1;
        if (out.payload.empty()) continue;
        if (!base.count(n)) base[n] = out.tcp.seq;
        auto& e = res.extent[n];
        e = std::max<std::uint64_t>(e, std::uint64_t{out.tcp.seq - base[n]} + out.payload.size());
    }
    pcap_close(pc);
    return res;
}

#define LOAD_OR_SKIP(var, name)                                           \
    const auto var##_opt = decode_capture(name);                          \
    if (!var##_opt) GTEST_SKIP() << "corpus capture not available: " << name; \
    const CorpusResult& var = *var##_opt

}  // namespace

TEST(DecoderCorpus, VxlanHttp) {
    LOAD_OR_SKIP(r, "zeek-tunnels-vxlan-http.pcap");
    EXPECT_EQ(r.status.at(DecodeStatus::transport), 12);
    EXPECT_EQ(r.sample[0].tunnel.kind, static_cast<std::uint8_t>(TunnelKind::vxlan));
    EXPECT_EQ(r.extent.at("172.016.011.201.40354-054.086.237.188.00080"), 87u);
    EXPECT_EQ(r.extent.at("054.086.237.188.00080-172.016.011.201.40354"), 9212u);
}

TEST(DecoderCorpus, LinuxSll2) {
    LOAD_OR_SKIP(r, "suricata-decode-sll2-02.pcap");
    EXPECT_EQ(r.status.at(DecodeStatus::transport), 159);
    EXPECT_EQ(r.extent.at("192.168.001.253.56478-192.168.001.021.00080"), 82u);
    EXPECT_EQ(r.extent.at("192.168.001.021.00080-192.168.001.253.56478"), 2598875u);
}

TEST(DecoderCorpus, PppoeOverQinQ) {
    LOAD_OR_SKIP(r, "zeek-pppoe-over-qinq.pcap");
    EXPECT_EQ(r.status.at(DecodeStatus::transport), 86);
    EXPECT_EQ(r.sample[0].vlans.count, 2);
    EXPECT_EQ(r.extent.at("001.001.001.001.20394-002.002.002.002.00443--3704"), 11352u);
    EXPECT_EQ(r.extent.at("002.002.002.002.00443-001.001.001.001.20394--3704"), 4984u);
}

TEST(DecoderCorpus, RadiotapWithFcs) {
    LOAD_OR_SKIP(r, "arkime-80211-radiotap-http.pcap");
    EXPECT_EQ(r.status.at(DecodeStatus::transport), 26);
    EXPECT_TRUE(r.sample[0].has_mac);
    EXPECT_EQ(r.extent.at("172.005.005.113.49417-014.017.032.211.00080"), 4083u);
    EXPECT_EQ(r.extent.at("014.017.032.211.00080-172.005.005.113.49417"), 3945u);
}

TEST(DecoderCorpus, MixedVlanMpls) {
    LOAD_OR_SKIP(r, "zeek-mixed-vlan-mpls.pcap");
    EXPECT_EQ(r.status.at(DecodeStatus::transport), 47);
    EXPECT_EQ(r.extent.at("010.001.002.001.11001-010.034.000.001.00023"), 26u);
    EXPECT_EQ(r.extent.at("010.020.080.001.50343-010.000.000.015.00080--4093"), 9u);
    EXPECT_EQ(r.extent.at("010.000.000.015.00080-010.020.080.001.50343--4093"), 3429u);
}

TEST(DecoderCorpus, Ipv6ExtensionHeaders) {
    LOAD_OR_SKIP(r, "zeek-ipv6-http-atomic-frag.pcap");
    EXPECT_EQ(r.status.at(DecodeStatus::transport), 36);
    EXPECT_EQ(r.extent.size(), 8u);
    for (const auto& [name, size] : r.extent) EXPECT_TRUE(size == 15 || size == 88) << name;
}

TEST(DecoderCorpus, Ipv6FragmentsOverPpp) {
    LOAD_OR_SKIP(r, "suricata-frag-ppp-ipv6-tcp.pcap");
    EXPECT_EQ(r.status.at(DecodeStatus::transport), 1);
    EXPECT_EQ(r.status.at(DecodeStatus::fragment_held), 2);
    EXPECT_EQ(r.payload_bytes, 1000u);
}

TEST(DecoderCorpus, IncompleteIpv4DatagramYieldsNothing) {
    LOAD_OR_SKIP(r, "zeek-ipv4-fragmented-3.pcap");
    EXPECT_EQ(r.status.count(DecodeStatus::transport), 0u);
    EXPECT_EQ(r.status.at(DecodeStatus::fragment_held), 5);
}

TEST(DecoderCorpus, LoopbackFamily30) {
    LOAD_OR_SKIP(r, "gopacket-loopback-ipv6-af30.pcap");
    EXPECT_EQ(r.status.at(DecodeStatus::transport), 24);
    EXPECT_EQ(r.extent.at("::1.58799-::1.08080"), 1465u);
    EXPECT_EQ(r.extent.at("::1.08080-::1.58799"), 54866u);
}

TEST(DecoderCorpus, GreSample) {
    LOAD_OR_SKIP(r, "zeek-tunnels-gre-sample.pcap");
    EXPECT_EQ(r.status.at(DecodeStatus::transport), 22);
    EXPECT_EQ(r.status.at(DecodeStatus::no_transport), 18);
    EXPECT_EQ(r.sample[0].tunnel.kind, static_cast<std::uint8_t>(TunnelKind::gre));
    EXPECT_EQ(r.extent.at("066.059.111.190.40264-172.028.002.003.00022"), 952u);
    EXPECT_EQ(r.extent.at("172.028.002.003.00022-066.059.111.190.40264"), 1671u);
}

TEST(DecoderCorpus, BigTcpJumbogram) {
    LOAD_OR_SKIP(r, "malformed-tcpdump-bigtcp-ipv6-hbh.pcap");
    EXPECT_EQ(r.status.at(DecodeStatus::transport), 1);
    EXPECT_EQ(r.payload_bytes, 80000u);
}

TEST(DecoderCorpus, EveryCaptureDecodesWithoutCrashing) {
    const std::filesystem::path dir = std::filesystem::path{TCPFLOW_SHARED_DIR} / "corpus";
    if (!std::filesystem::exists(dir)) GTEST_SKIP() << "corpus not available";
    for (const auto& e : std::filesystem::directory_iterator{dir}) {
        const auto ext = e.path().extension().string();
        if (ext != ".pcap" && ext != ".pcapng") continue;
        (void)decode_capture(e.path().filename().string());
    }
}

TEST(Decoder, UdpIsATransportPacketOnlyWhenAsked) {
    const std::string dns = "dns-query";
    const Frame u = udp_datagram(5353, 53, Bytes{reinterpret_cast<const std::uint8_t*>(dns.data()), dns.size()});
    Frame padded = u;
    padded.resize(padded.size() + 6, 0xee);   // bytes past the UDP length are not payload
    padded[4] = 0;
    padded[5] = static_cast<std::uint8_t>(u.size());
    const Frame f = ipv4_packet(ip("1.1.1.1"), ip("2.2.2.2"), 17, bytes(padded));
    {
        Harness h;
        DecodedPacket out;
        EXPECT_EQ(h.decode(LinkType::raw, f, out), DecodeStatus::no_transport);
        EXPECT_EQ(h.stats.get(Counter::not_tcp), 1u);
    }
    DecoderLimits limits;
    limits.udp = true;
    Harness h{limits};
    DecodedPacket out;
    ASSERT_EQ(h.decode(LinkType::raw, f, out), DecodeStatus::transport);
    EXPECT_EQ(out.proto, Transport::udp);
    EXPECT_EQ(out.src, ip("1.1.1.1"));
    EXPECT_EQ(out.sport, 5353);
    EXPECT_EQ(out.dport, 53);
    EXPECT_EQ(out.claimed_len, dns.size());
    EXPECT_EQ(std::string(out.payload.begin(), out.payload.end()), dns);
    EXPECT_EQ(reasons(h.stats), 0u);
    // Cut by the snaplen: the payload is what was captured, the claimed length what was sent.
    Frame cut = f;
    cut.resize(cut.size() - 10);
    ASSERT_EQ(h.decode(LinkType::raw, cut, out), DecodeStatus::transport);
    EXPECT_EQ(out.claimed_len, dns.size());
    EXPECT_EQ(out.payload.size(), dns.size() - 4);
    // A header cut short is counted, not a packet.
    const Frame stub = ipv4_packet(ip("1.1.1.1"), ip("2.2.2.2"), 17, bytes(Frame(5, 0)));
    EXPECT_EQ(h.decode(LinkType::raw, stub, out), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::truncated_udp_header), 1u);
}

TEST(Decoder, TunnelCarrierIsNeverAUdpPacket) {
    DecoderLimits limits;
    limits.udp = true;
    Harness h{limits};
    DecodedPacket out;
    Frame vx = {0x08, 0, 0, 0, 0, 0, 0x07, 0};
    const Frame inner = eth_tcp(spec4("inner"));
    vx.insert(vx.end(), inner.begin(), inner.end());
    const Frame f = ipv4_packet(ip("1.1.1.1"), ip("2.2.2.2"), 17, bytes(udp_datagram(40000, 4789, bytes(vx))));
    ASSERT_EQ(h.decode(LinkType::raw, f, out), DecodeStatus::transport);
    EXPECT_EQ(out.proto, Transport::tcp);
    EXPECT_EQ(out.tunnel.kind, static_cast<std::uint8_t>(TunnelKind::vxlan));
    // A VXLAN-like header with garbage behind it (a DNS answer to client port 4789): the
    // datagram's own payload, an ordinary UDP packet; its MACs are the outer frame's.
    const std::string answer = std::string("\x08\x34\x81\x80", 4) + std::string(60, 'a');
    const Frame junk = ethernet_frame(0x0800, bytes(ipv4_packet(ip("1.1.1.1"), ip("2.2.2.2"), 17,
        bytes(udp_datagram(53, 4789, Bytes{reinterpret_cast<const std::uint8_t*>(answer.data()), answer.size()})))));
    ASSERT_EQ(h.decode(LinkType::ethernet, junk, out), DecodeStatus::transport);
    EXPECT_EQ(out.proto, Transport::udp);
    EXPECT_EQ(out.tunnel.kind, 0);
    EXPECT_EQ(out.dport, 4789);
    EXPECT_EQ(out.payload.size(), answer.size());
    EXPECT_EQ(out.dst_mac, (std::array<std::uint8_t, 6>{junk[0], junk[1], junk[2], junk[3], junk[4], junk[5]}));
    EXPECT_EQ(reasons(h.stats), 0u);
    // Port 4789 without VXLAN's I flag is not a carrier: an ordinary datagram.
    vx[0] = 0;
    const Frame g = ipv4_packet(ip("1.1.1.1"), ip("2.2.2.2"), 17, bytes(udp_datagram(40000, 4789, bytes(vx))));
    ASSERT_EQ(h.decode(LinkType::raw, g, out), DecodeStatus::transport);
    EXPECT_EQ(out.proto, Transport::udp);
    EXPECT_EQ(out.tunnel.kind, 0);
}
