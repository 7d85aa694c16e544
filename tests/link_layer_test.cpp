// Link layers: each LinkType with a valid frame, then every truncation.
#include <gtest/gtest.h>

#include "support/decode_helpers.h"
#include "tcpflow/decode/link_layer.h"

#include <zlib.h>

using namespace tcpflow;
using namespace tcpflow::test;

namespace {

Frame null_frame(std::uint32_t family, bool little_endian, const Frame& ipf) {
    Frame f;
    if (little_endian) {
        put32le(f, family);
    } else {
        put32be(f, family);
    }
    return cat({f, ipf});
}

Frame sll(std::uint16_t proto, const Frame& payload) {
    Frame f;
    put16be(f, 0);       // packet type
    put16be(f, 1);       // ARPHRD_ETHER
    put16be(f, 6);       // address length
    for (int i = 0; i < 8; ++i) put8(f, static_cast<std::uint8_t>(i));
    put16be(f, proto);
    return cat({f, payload});
}

Frame sll2(std::uint16_t proto, const Frame& payload) {
    Frame f;
    put16be(f, proto);
    put16be(f, 0);
    put32be(f, 3);       // ifindex
    put16be(f, 1);
    put8(f, 0);
    put8(f, 6);
    for (int i = 0; i < 8; ++i) put8(f, static_cast<std::uint8_t>(i));
    return cat({f, payload});
}

Frame snap(std::uint16_t ethertype) {
    Frame f = {0xaa, 0xaa, 0x03, 0, 0, 0};
    put16be(f, ethertype);
    return f;
}

// 802.11 data frame; fc_flags: 0x01 ToDS, 0x02 FromDS, 0x40 protected, 0x80 order.
Frame wifi(std::uint8_t subtype, std::uint8_t fc_flags, const Frame& body) {
    Frame f;
    put8(f, static_cast<std::uint8_t>((2u << 2) | (subtype << 4)));
    put8(f, fc_flags);
    put16le(f, 0);
    for (std::uint8_t a = 1; a <= 3; ++a) {
        for (int i = 0; i < 6; ++i) put8(f, static_cast<std::uint8_t>(a * 0x11));
    }
    put16le(f, 0);   // sequence control
    if ((fc_flags & 3) == 3) {
        for (int i = 0; i < 6; ++i) put8(f, 0x44);
    }
    if (subtype & 0x8) put16le(f, 0);                           // QoS
    if ((subtype & 0x8) && (fc_flags & 0x80)) put32le(f, 0);    // HT control
    return cat({f, body});
}

Frame radiotap(std::uint8_t flags, bool tsft, const Frame& body) {
    Frame f = {0, 0, 0, 0};
    put32le(f, (tsft ? 1u : 0u) | 2u);
    if (tsft) {
        for (int i = 0; i < 8; ++i) put8(f, 0xee);
    }
    put8(f, flags);
    const auto len = static_cast<std::uint16_t>(f.size());
    f[2] = static_cast<std::uint8_t>(len);
    f[3] = static_cast<std::uint8_t>(len >> 8);
    return cat({f, body});
}

Frame pppoe(std::uint16_t len, const Frame& ppp) {
    Frame f = {0x11, 0x00};
    put16be(f, 0x1234);
    put16be(f, len);
    return cat({f, ppp});
}

Frame ppp_ip4(const Frame& ipf) { return cat({Frame{0x00, 0x21}, ipf}); }

}  // namespace

/// The little-endian CRC-32 FCS of an 802.11 frame.
static Frame fcs_of(const Frame& f) {
    const auto c = static_cast<std::uint32_t>(::crc32(0L, f.data(), static_cast<uInt>(f.size())));
    return Frame{static_cast<std::uint8_t>(c), static_cast<std::uint8_t>(c >> 8), static_cast<std::uint8_t>(c >> 16),
                 static_cast<std::uint8_t>(c >> 24)};
}

TEST(LinkLayer, NullAllFamiliesBothByteOrders) {
    for (std::uint32_t fam : {2u, 10u, 24u, 28u, 30u}) {
        const TcpSpec t = fam == 2 ? spec4() : spec6();
        for (bool le : {true, false}) {
            for (LinkType lt : {LinkType::null_bsd, LinkType::loop}) {
                SCOPED_TRACE(testing::Message() << "family " << fam << " le " << le);
                const Frame f = null_frame(fam, le, ip_tcp(t));
                expect_segment(lt, f, t);
                DecodedPacket out;
                Harness h;
                ASSERT_EQ(h.decode(lt, f, out), DecodeStatus::transport);
                EXPECT_FALSE(out.has_mac);
            }
        }
    }
    expect_truncations_clean(LinkType::null_bsd, null_frame(2, true, ip_tcp(spec4())), 5);
}

TEST(LinkLayer, NullUnknownFamilyIsNotIp) {
    Harness h;
    DecodedPacket out;
    EXPECT_EQ(h.decode(LinkType::null_bsd, null_frame(7, true, ip_tcp(spec4())), out), DecodeStatus::no_transport);
    EXPECT_EQ(h.stats.get(Counter::not_ip), 1u);
}

TEST(LinkLayer, RawIpv4Ipv6ByNibble) {
    expect_segment(LinkType::raw, ip_tcp(spec4()), spec4());
    expect_segment(LinkType::raw, ip_tcp(spec6()), spec6());
    expect_segment(LinkType::ipv4, ip_tcp(spec4()), spec4());
    expect_segment(LinkType::ipv6, ip_tcp(spec6()), spec6());
    expect_truncations_clean(LinkType::raw, ip_tcp(spec6()), 5);
    Harness h;
    DecodedPacket out;
    EXPECT_EQ(h.decode(LinkType::ipv4, ip_tcp(spec6()), out), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::bad_ip_version), 1u);
    Frame junk = ip_tcp(spec4());
    junk[0] = 0x55;
    EXPECT_EQ(h.decode(LinkType::raw, junk, out), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::bad_ip_version), 2u);
}

TEST(LinkLayer, EthernetMacsAndPaddingNotPayload) {
    const TcpSpec t = spec4("hi");
    const Frame f = eth_tcp(t, {}, true);   // padded to 60 bytes
    ASSERT_EQ(f.size(), 60u);
    expect_segment(LinkType::ethernet, f, t);
    Harness h;
    DecodedPacket out;
    ASSERT_EQ(h.decode(LinkType::ethernet, f, out), DecodeStatus::transport);
    EXPECT_TRUE(out.has_mac);
    EXPECT_EQ(out.src_mac[5], 1);
    EXPECT_EQ(out.dst_mac[5], 2);
    EXPECT_EQ(out.vlans.count, 0);
    // An FCS-like trailer after the IP packet is not payload either.
    Frame fcs = eth_tcp(spec4());
    for (int i = 0; i < 4; ++i) fcs.push_back(0xab);
    expect_segment(LinkType::ethernet, fcs, spec4());
    expect_truncations_clean(LinkType::ethernet, eth_tcp(spec4()), 5);
    expect_truncations_clean(LinkType::ethernet, eth_tcp(spec6()), 5);
}

TEST(LinkLayer, VlanTagsMaskedAndCounted) {
    struct Case {
        std::vector<VlanTag> tags;
        std::vector<std::uint16_t> ids;
    };
    const std::vector<Case> cases = {
        {{{0x8100, 0xb000}}, {0}},                                   // VID 0, PCP 5 DEI 1
        {{{0x8100, 0xe02a}}, {42}},                                  // PCP/DEI masked
        {{{0x88a8, 20}, {0x8100, 10}}, {20, 10}},                    // QinQ
        {{{0x9100, 30}, {0x9100, 20}, {0x8100, 10}}, {30, 20, 10}},  // 0x9100, three deep
        {{{0x8100, 1}, {0x8100, 2}, {0x8100, 3}, {0x8100, 4}, {0x8100, 5}}, {1, 2, 3, 4}},
    };
    for (const auto& c : cases) {
        const Frame f = eth_tcp(spec4(), c.tags);
        expect_segment(LinkType::ethernet, f, spec4());
        Harness h;
        DecodedPacket out;
        ASSERT_EQ(h.decode(LinkType::ethernet, f, out), DecodeStatus::transport);
        EXPECT_EQ(out.vlans.count, c.tags.size());
        for (std::size_t i = 0; i < c.ids.size(); ++i) EXPECT_EQ(out.vlans.ids[i], c.ids[i]);
        EXPECT_EQ(out.vlans.outer(), c.ids[0]);
        expect_truncations_clean(LinkType::ethernet, f, 5);
    }
}

TEST(LinkLayer, Ethernet8023Snap) {
    const Frame ipf = ip_tcp(spec4());
    const Frame llc = cat({snap(0x0800), ipf});
    const Frame f = ethernet_frame(static_cast<std::uint16_t>(llc.size()), bytes(llc));
    expect_segment(LinkType::ethernet, f, spec4());
    expect_truncations_clean(LinkType::ethernet, f, 5);
    // Plain LLC (STP) is not IP.
    const Frame stp = ethernet_frame(7, bytes(Frame{0x42, 0x42, 0x03, 0, 0, 0, 0}));
    Harness h;
    DecodedPacket out;
    EXPECT_EQ(h.decode(LinkType::ethernet, stp, out), DecodeStatus::no_transport);
    EXPECT_EQ(h.stats.get(Counter::not_ip), 1u);
}

TEST(LinkLayer, ArpAndUnknownEthertype) {
    Harness h;
    DecodedPacket out;
    EXPECT_EQ(h.decode(LinkType::ethernet, ethernet_frame(0x0806, bytes(Frame(28, 0))), out), DecodeStatus::no_transport);
    EXPECT_EQ(h.stats.get(Counter::not_ip), 1u);
    EXPECT_EQ(h.decode(LinkType::ethernet, ethernet_frame(0x1234, bytes(Frame(28, 0))), out), DecodeStatus::no_transport);
    EXPECT_EQ(h.stats.get(Counter::unknown_ethertype), 1u);
}

TEST(LinkLayer, Mpls) {
    for (const TcpSpec& t : {spec4(), spec6()}) {
        Frame labels;
        put32be(labels, (100u << 12) | 64u);          // not bottom
        put32be(labels, (200u << 12) | 0x100u | 64u);  // bottom of stack
        const Frame f = ethernet_frame(0x8847, bytes(cat({labels, ip_tcp(t)})));
        expect_segment(LinkType::ethernet, f, t);
        expect_truncations_clean(LinkType::ethernet, f, 5);
    }
    // Ethernet pseudowire: control word 0, then an Ethernet frame.
    Frame labels;
    put32be(labels, (300u << 12) | 0x100u | 64u);
    put32be(labels, 0);   // control word
    const Frame inner = eth_tcp(spec4(), {{0x8100, 7}});
    const Frame f = ethernet_frame(0x8847, bytes(cat({labels, inner})), {{0x8100, 5}});
    expect_segment(LinkType::ethernet, f, spec4());
    Harness h;
    DecodedPacket out;
    ASSERT_EQ(h.decode(LinkType::ethernet, f, out), DecodeStatus::transport);
    EXPECT_EQ(out.vlans.count, 2);
    EXPECT_EQ(out.vlans.ids[0], 5);
    EXPECT_EQ(out.vlans.ids[1], 7);
    expect_truncations_clean(LinkType::ethernet, f, 5);
}

TEST(LinkLayer, PppoeLengthBoundsThePacket) {
    const Frame ipf = ip_tcp(spec4());
    const Frame ppp = ppp_ip4(ipf);
    const Frame f = ethernet_frame(0x8864, bytes(pppoe(static_cast<std::uint16_t>(ppp.size()), ppp)),
                                   {{0x8100, 3704}, {0x8100, 2474}});
    expect_segment(LinkType::ethernet, f, spec4());
    expect_truncations_clean(LinkType::ethernet, f, 5);
    // IP total length claims 6 more bytes than the PPPoE payload holds: those are trailer.
    const TcpSpec ack = spec4("");
    const Frame ack_seg = tcp_header_and_payload(ack);
    Ipv4Spec s;
    s.total_length = 46;
    const Frame ack_ip = ipv4_packet(ack.src, ack.dst, 6, bytes(ack_seg), s);
    const Frame ack_ppp = ppp_ip4(ack_ip);
    Frame body = pppoe(static_cast<std::uint16_t>(ack_ppp.size()), ack_ppp);
    for (int i = 0; i < 6; ++i) body.push_back(0);
    Harness h;
    DecodedPacket out;
    ASSERT_EQ(h.decode(LinkType::ethernet, ethernet_frame(0x8864, bytes(body)), out), DecodeStatus::transport);
    EXPECT_EQ(out.payload.size(), 0u);
    EXPECT_EQ(out.claimed_len, 6u);
    // PPP_ETHER link type: the PPPoE session header directly.
    expect_segment(LinkType::ppp_ether, pppoe(static_cast<std::uint16_t>(ppp.size()), ppp), spec4());
    expect_truncations_clean(LinkType::ppp_ether, pppoe(static_cast<std::uint16_t>(ppp.size()), ppp), 5);
}

TEST(LinkLayer, LinuxSllAndSll2) {
    expect_segment(LinkType::linux_sll, sll(0x0800, ip_tcp(spec4())), spec4());
    expect_segment(LinkType::linux_sll, sll(0x86dd, ip_tcp(spec6())), spec6());
    expect_segment(LinkType::linux_sll2, sll2(0x0800, ip_tcp(spec4())), spec4());
    expect_segment(LinkType::linux_sll2, sll2(0x86dd, ip_tcp(spec6())), spec6());
    expect_truncations_clean(LinkType::linux_sll, sll(0x0800, ip_tcp(spec4())), 5);
    expect_truncations_clean(LinkType::linux_sll2, sll2(0x86dd, ip_tcp(spec6())), 5);
    Harness h;
    DecodedPacket out;
    ASSERT_EQ(h.decode(LinkType::linux_sll, sll(0x0800, ip_tcp(spec4())), out), DecodeStatus::transport);
    EXPECT_FALSE(out.has_mac);
}

TEST(LinkLayer, PppVariants) {
    const Frame v4 = ip_tcp(spec4()), v6 = ip_tcp(spec6());
    for (LinkType lt : {LinkType::ppp, LinkType::ppp_serial}) {
        expect_segment(lt, cat({Frame{0xff, 0x03, 0x00, 0x21}, v4}), spec4());
        expect_segment(lt, cat({Frame{0xff, 0x03, 0x00, 0x57}, v6}), spec6());
        expect_segment(lt, cat({Frame{0x00, 0x21}, v4}), spec4());
        expect_segment(lt, cat({Frame{0x21}, v4}), spec4());   // compressed protocol
        expect_segment(lt, cat({Frame{0x57}, v6}), spec6());
        expect_truncations_clean(lt, cat({Frame{0xff, 0x03, 0x00, 0x21}, v4}), 5);
    }
    Harness h;
    DecodedPacket out;
    EXPECT_EQ(h.decode(LinkType::ppp, Frame{0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4}, out), DecodeStatus::no_transport);
    EXPECT_EQ(h.stats.get(Counter::not_ip), 1u);
}

TEST(LinkLayer, CiscoHdlc) {
    const Frame f = cat({Frame{0x0f, 0x00, 0x08, 0x00}, ip_tcp(spec4())});
    expect_segment(LinkType::c_hdlc, f, spec4());
    expect_segment(LinkType::c_hdlc, cat({Frame{0x8f, 0x00, 0x86, 0xdd}, ip_tcp(spec6())}), spec6());
    expect_truncations_clean(LinkType::c_hdlc, f, 5);
}

TEST(LinkLayer, Ieee80211DataFrames) {
    const Frame body = cat({snap(0x0800), ip_tcp(spec4())});
    // Plain data, ToDS: DA = addr3, SA = addr2.
    {
        const Frame f = wifi(0, 0x01, body);
        expect_segment(LinkType::ieee802_11, f, spec4());
        expect_truncations_clean(LinkType::ieee802_11, f, 5);
        Harness h;
        DecodedPacket out;
        ASSERT_EQ(h.decode(LinkType::ieee802_11, f, out), DecodeStatus::transport);
        EXPECT_TRUE(out.has_mac);
        EXPECT_EQ(out.dst_mac[0], 0x33);
        EXPECT_EQ(out.src_mac[0], 0x22);
    }
    // FromDS: DA = addr1, SA = addr3.
    {
        Harness h;
        DecodedPacket out;
        ASSERT_EQ(h.decode(LinkType::ieee802_11, wifi(0, 0x02, body), out), DecodeStatus::transport);
        EXPECT_EQ(out.dst_mac[0], 0x11);
        EXPECT_EQ(out.src_mac[0], 0x33);
    }
    // WDS (both): four addresses, SA = addr4.
    {
        Harness h;
        DecodedPacket out;
        ASSERT_EQ(h.decode(LinkType::ieee802_11, wifi(0, 0x03, body), out), DecodeStatus::transport);
        EXPECT_EQ(out.src_mac[0], 0x44);
    }
    // QoS data, and QoS data with HT control (order bit).
    expect_segment(LinkType::ieee802_11, wifi(8, 0x01, body), spec4());
    expect_segment(LinkType::ieee802_11, wifi(8, 0x81, body), spec4());
    expect_truncations_clean(LinkType::ieee802_11, wifi(8, 0x83, body), 5);
    // Protected, null data and management frames carry nothing.
    Harness h;
    DecodedPacket out;
    EXPECT_EQ(h.decode(LinkType::ieee802_11, wifi(0, 0x41, body), out), DecodeStatus::no_transport);
    EXPECT_EQ(h.decode(LinkType::ieee802_11, wifi(4, 0x01, {}), out), DecodeStatus::no_transport);
    Frame beacon = wifi(0, 0, {});
    beacon[0] = 0x80;
    EXPECT_EQ(h.decode(LinkType::ieee802_11, beacon, out), DecodeStatus::no_transport);
    EXPECT_EQ(h.stats.get(Counter::wifi_non_data), 3u);
}

TEST(LinkLayer, RadiotapFcsAndAlignment) {
    const Frame body = wifi(8, 0x01, cat({snap(0x0800), ip_tcp(spec4())}));
    expect_segment(LinkType::ieee802_11_radio, radiotap(0, false, body), spec4());
    expect_segment(LinkType::ieee802_11_radio, radiotap(0, true, body), spec4());
    // FCS flag: the last 4 bytes are the FCS. Use an IPv4 total length 0 packet so only the
    // FCS handling keeps them out of the payload.
    const TcpSpec t = spec4();
    const Frame seg = tcp_header_and_payload(t);
    Ipv4Spec s;
    s.total_length = 0;
    const Frame tso = ipv4_packet(t.src, t.dst, 6, bytes(seg), s);
    const Frame mpdu = wifi(0, 0x01, cat({snap(0x0800), tso}));
    const Frame with_fcs = cat({radiotap(0x10, true, mpdu), fcs_of(mpdu)});
    expect_segment(LinkType::ieee802_11_radio, with_fcs, t);
    expect_truncations_clean(LinkType::ieee802_11_radio, radiotap(0, true, body), 5);
}

// -S check_fcs (default YES): an 802.11 frame whose FCS is wrong is counted and skipped, whether
// the card flagged it (radiotap "bad FCS") or the CRC-32 over the frame does not match.
TEST(LinkLayer, RadiotapBadFcsIsDroppedUnlessCheckIsOff) {
    const Frame mpdu = wifi(0, 0x01, cat({snap(0x0800), ip_tcp(spec4())}));
    const Frame wrong_crc = cat({radiotap(0x10, true, mpdu), Frame{1, 2, 3, 4}});
    const Frame flagged = radiotap(0x40, true, mpdu);
    for (const Frame* f : {&wrong_crc, &flagged}) {
        Harness h;
        DecodedPacket out;
        EXPECT_EQ(h.decode(LinkType::ieee802_11_radio, *f, out), DecodeStatus::malformed);
        EXPECT_EQ(h.stats.get(Counter::bad_fcs), 1u);
        DecoderLimits off;
        off.check_fcs = false;
        Harness keep{off};
        EXPECT_EQ(keep.decode(LinkType::ieee802_11_radio, *f, out), DecodeStatus::transport);
        EXPECT_EQ(std::string(out.payload.begin(), out.payload.end()), "hello");
    }
}

TEST(LinkLayer, PrismAndPpi) {
    const Frame body = wifi(0, 0x01, cat({snap(0x0800), ip_tcp(spec4())}));
    Frame prism;
    put32le(prism, 0x44);
    put32le(prism, 144);
    prism.resize(144, 0);
    expect_segment(LinkType::prism, cat({prism, body}), spec4());
    expect_truncations_clean(LinkType::prism, cat({prism, body}), 5);

    Frame ppi = {0, 0};
    put16le(ppi, 8);
    put32le(ppi, 105);
    expect_segment(LinkType::ppi, cat({ppi, body}), spec4());
    expect_truncations_clean(LinkType::ppi, cat({ppi, body}), 5);
    Frame ppi_eth = {0, 0};
    put16le(ppi_eth, 8);
    put32le(ppi_eth, 1);
    expect_segment(LinkType::ppi, cat({ppi_eth, eth_tcp(spec4())}), spec4());
}

TEST(LinkLayer, Nflog) {
    for (const TcpSpec& t : {spec4(), spec6()}) {
        const Frame ipf = ip_tcp(t);
        Frame f = {static_cast<std::uint8_t>(t.src.family == 4 ? 2 : 10), 0, 0, 0};
        put16le(f, 8);   // prefix TLV
        put16le(f, 10);
        f.insert(f.end(), {'a', 'b', 'c', 0});
        put16le(f, 5);   // odd-length TLV, padded to 8
        put16le(f, 1);
        f.insert(f.end(), {0x08, 0, 0, 0});
        put16le(f, static_cast<std::uint16_t>(4 + ipf.size()));
        put16le(f, 9);
        f.insert(f.end(), ipf.begin(), ipf.end());
        expect_segment(LinkType::nflog, f, t);
        expect_truncations_clean(LinkType::nflog, f, 5);
    }
}

TEST(LinkLayer, DltMapping) {
    const std::vector<std::pair<int, LinkType>> m = {
        {0, LinkType::null_bsd},     {108, LinkType::loop},          {1, LinkType::ethernet},
        {12, LinkType::raw},         {14, LinkType::raw},            {101, LinkType::raw},
        {228, LinkType::ipv4},       {229, LinkType::ipv6},          {113, LinkType::linux_sll},
        {276, LinkType::linux_sll2}, {9, LinkType::ppp},             {50, LinkType::ppp_serial},
        {104, LinkType::c_hdlc},     {51, LinkType::ppp_ether},      {105, LinkType::ieee802_11},
        {127, LinkType::ieee802_11_radio}, {119, LinkType::prism},   {192, LinkType::ppi},
        {239, LinkType::nflog},
    };
    for (const auto& [dlt, lt] : m) {
        const auto got = link_type_from_dlt(dlt);
        ASSERT_TRUE(got.has_value()) << dlt;
        EXPECT_EQ(*got, lt) << dlt;
    }
    EXPECT_FALSE(link_type_from_dlt(147).has_value());
    EXPECT_FALSE(link_type_from_dlt(-1).has_value());
    EXPECT_EQ(dlt_name(276), "LINUX_SLL2");
    EXPECT_EQ(dlt_name(99999), "99999");
}
