#include "tcpflow/output/netviz_page.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tcpflow/output/name_allocator.h"
#include "tcpflow/output/netviz_draw.h"

namespace tcpflow {

namespace {

using namespace netviz;

// US letter, 5% margins, 1.6.1's page.
constexpr double kPageW = 612, kPageH = 792, kMargin = kPageW * 0.05;
constexpr double kContentW = kPageW - 2 * kMargin;
constexpr double kColumnW = kContentW / 2.2;   // 1.6.1's address_histogram_width_divisor
constexpr std::size_t kLegendPorts = 6, kBars = 10, kListed = 5, kMaxTimeBars = 100;
constexpr Rgb kPalette[kLegendPorts] = {{0.02, 0.00, 1.00}, {0.02, 0.75, 0.00}, {1.00, 0.47, 0.00},
                                        {0.75, 0.00, 0.60}, {0.58, 0.00, 0.75}, {0.00, 0.75, 0.65}};

struct Page {
    cairo_t* cr;
    const TrafficStats& st;
    const NetvizPageInfo& info;
    std::vector<std::uint16_t> legend;   // the service ports with a colour
    double y = kMargin;
};

Rgb port_color(const Page& p, std::uint16_t port) {
    for (std::size_t i = 0; i < p.legend.size(); ++i)
        if (p.legend[i] == port) return kPalette[i];
    return kGrey;
}

void draw_header(Page& p) {
    const auto lines = netviz_header(p.st, p.info);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const double size = i == 0 ? 10 : 8;
        p.y += size + 2;
        text(p.cr, kMargin, p.y, fit(p.cr, lines[i], size, kContentW), size, Align::left, i == 0);
    }
    p.y += 10;
}

void draw_time_panel(Page& p) {
    const TimeHistogram& h = p.st.histogram();
    text(p.cr, kMargin + kContentW / 2, p.y + 8, "Bytes over time", 8, Align::center, true);
    p.y += 14;
    const TimeHistogram::Bars bars = h.bars(kMaxTimeBars, p.legend);
    StackedBars sb;
    sb.totals = bars.bytes;
    sb.series = bars.port_bytes;
    for (std::size_t i = 0; i < p.legend.size(); ++i) sb.colors.push_back(kPalette[i]);
    if (bars.count() == 0) {
        sb.caption = "no packets";
    } else {
        const std::int64_t end = bars.start_ns + static_cast<std::int64_t>(bars.count()) * bars.width_ns;
        sb.left_label = utc_time(bars.start_ns);
        sb.right_label = utc_time(end);
        sb.caption = duration_text(p.st.last().ns - p.st.first().ns) + " of packets; " +
                     std::to_string(bars.count()) + (bars.count() == 1 ? " interval" : " intervals") + " of " +
                     interval_text(bars.width_ns) + " (each bar: the bytes of the frames in it)";
    }
    draw_stacked_bars(p.cr, Box{kMargin, p.y, kContentW, 100}, sb);
    p.y += 104;
    std::vector<std::string> labels;
    std::vector<Rgb> colors;
    for (std::size_t i = 0; i < p.legend.size(); ++i) {
        labels.push_back(port_label(p.legend[i]));
        colors.push_back(kPalette[i]);
    }
    labels.push_back("other");
    colors.push_back(kGrey);
    draw_legend(p.cr, Box{kMargin, p.y, kContentW, 14}, labels, colors);
    p.y += 20;
}

void draw_packetfall_panel(Page& p) {
    const TimeHistogram::Bars bars = p.st.histogram().bars(kMaxTimeBars, p.legend);
    text(p.cr, kMargin + kContentW / 2, p.y + 8, "Packetfall: packets per interval by service port (darker: more)", 8,
         Align::center, true);
    p.y += 13;
    Packetfall pf;
    std::vector<std::uint64_t> other = bars.packets;
    for (std::size_t i = 0; i < p.legend.size(); ++i) {
        pf.row_labels.push_back(port_label(p.legend[i]));
        pf.rows.push_back(bars.port_packets[i]);
        pf.colors.push_back(kPalette[i]);
        for (std::size_t b = 0; b < other.size(); ++b) other[b] -= std::min(other[b], bars.port_packets[i][b]);
    }
    pf.row_labels.emplace_back("other");
    pf.rows.push_back(other);
    pf.colors.push_back(Rgb{0.3, 0.3, 0.3});
    const double h = 9.0 * static_cast<double>(pf.rows.size());
    draw_packetfall(p.cr, Box{kMargin, p.y, kContentW, h}, pf);
    p.y += h + 12;
}

struct ListRow {
    std::string value, bytes, share;
};

/// The top-N list under a chart: "1) value" at the left, bytes and share right-aligned.
double draw_list(cairo_t* cr, double x, double y, const std::vector<ListRow>& rows) {
    constexpr double size = 6.5, step = 8.5;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double yy = y + step * static_cast<double>(i + 1);
        const std::string head = std::to_string(i + 1) + ") ";
        text(cr, x, yy, head + fit(cr, rows[i].value, size, kColumnW - 95), size);
        text(cr, x + kColumnW - 32, yy, rows[i].bytes, size, Align::right);
        text(cr, x + kColumnW, yy, rows[i].share, size, Align::right);
    }
    return step * static_cast<double>(kListed) + 4;
}

void draw_address_column(Page& p, double x, const char* title, const AddressCounter& c) {
    const auto top = c.top(kBars);
    BarChart chart;
    chart.title = top.empty() ? std::string("No ") + title : std::string("Top ") + title;
    chart.total = c.total();
    std::vector<ListRow> rows;
    for (const auto& e : top) {
        chart.values.push_back(e.bytes);
        if (rows.size() < kListed)
            rows.push_back(ListRow{e.address.to_string(), (e.error ? "<= " : "") + grouped(e.bytes) + " B",
                                   share(e.bytes, c.total())});
    }
    draw_bar_chart(p.cr, Box{x, p.y, kColumnW, 100}, chart);
    draw_list(p.cr, x, p.y + 100, rows);
}

void draw_port_column(Page& p, double x, const char* title, const std::vector<PortBytes>& top) {
    BarChart chart;
    chart.title = top.empty() ? std::string("No ") + title : std::string("Top ") + title;
    chart.total = p.st.port_bytes();
    std::vector<ListRow> rows;
    for (const auto& e : top) {
        chart.values.push_back(e.bytes);
        chart.colors.push_back(port_color(p, e.port));
        if (rows.size() < kListed)
            rows.push_back(ListRow{port_label(e.port), grouped(e.bytes) + " B", share(e.bytes, p.st.port_bytes())});
    }
    draw_bar_chart(p.cr, Box{x, p.y, kColumnW, 100}, chart);
    draw_list(p.cr, x, p.y + 100, rows);
}

void draw_top_panels(Page& p) {
    const double right = kMargin + kContentW - kColumnW;
    draw_address_column(p, kMargin, "source addresses", p.st.sources());
    draw_address_column(p, right, "destination addresses", p.st.destinations());
    p.y += 100 + 8.5 * kListed + 6;
    if (!p.st.sources().exact() || !p.st.destinations().exact()) {
        text(p.cr, kMargin, p.y,
             "More addresses than the " + grouped(p.st.sources().capacity()) +
                 " kept per side (-S netviz_histogram_size): \"<=\" marks an upper bound (Space-Saving).",
             6, Align::left, false, Rgb{0.4, 0.4, 0.4});
        p.y += 6;
    }
    p.y += 8;
    draw_port_column(p, kMargin, "source ports", p.st.top_source_ports(kBars));
    draw_port_column(p, right, "destination ports", p.st.top_destination_ports(kBars));
}

void draw_page(cairo_t* cr, const TrafficStats& st, const NetvizPageInfo& info) {
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    Page p{cr, st, info, st.histogram().top_ports(kLegendPorts)};
    draw_header(p);
    draw_time_panel(p);
    draw_packetfall_panel(p);
    draw_top_panels(p);
}

struct Sink {
    int fd = -1;
    int err = 0;
};

cairo_status_t write_to_fd(void* closure, const unsigned char* data, unsigned int length) {
    auto* s = static_cast<Sink*>(closure);
    while (length > 0) {
        const ssize_t n = ::write(s->fd, data, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            s->err = n < 0 ? errno : EIO;
            return CAIRO_STATUS_WRITE_ERROR;
        }
        data += n;
        length -= static_cast<unsigned int>(n);
    }
    return CAIRO_STATUS_SUCCESS;
}

/// Draws onto a surface of `format` that writes into `sink`; cairo's status at the end.
cairo_status_t render(PageFormat format, Sink& sink, const TrafficStats& st, const NetvizPageInfo& info) {
    constexpr double kPngScale = 2.0;   // 1224 x 1584 pixels, 144 dpi
    cairo_surface_t* surface = nullptr;
    if (format == PageFormat::pdf) surface = cairo_pdf_surface_create_for_stream(write_to_fd, &sink, kPageW, kPageH);
    else if (format == PageFormat::svg) surface = cairo_svg_surface_create_for_stream(write_to_fd, &sink, kPageW, kPageH);
    else surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(kPageW * kPngScale),
                                              static_cast<int>(kPageH * kPngScale));
    cairo_t* cr = cairo_create(surface);
    if (format == PageFormat::png) cairo_scale(cr, kPngScale, kPngScale);
    draw_page(cr, st, info);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (format == PageFormat::png && status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_write_to_png_stream(surface, write_to_fd, &sink);
    cairo_surface_finish(surface);
    if (status == CAIRO_STATUS_SUCCESS) status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    return status;
}

}  // namespace

std::vector<std::string> netviz_header(const TrafficStats& st, const NetvizPageInfo& info) {
    std::vector<std::string> lines;
    lines.push_back(info.program + " - netviz");
    std::string inputs;
    for (const auto& in : info.inputs) inputs += (inputs.empty() ? "" : ", ") + in;
    lines.push_back("Input: " + (inputs.empty() ? std::string("(none)") : inputs));
    lines.push_back("Generated: " + utc_time(info.generated_ns));
    if (st.packets() == 0) {
        lines.emplace_back("Date range: no packets");
    } else {
        lines.push_back("Date range: " + utc_time(st.first().ns) + " -- " + utc_time(st.last().ns) + " (" +
                        duration_text(st.last().ns - st.first().ns) + ")");
    }
    lines.push_back("Packets analysed: " + grouped(st.packets()) + " (" + grouped(st.bytes()) + " bytes, " +
                    short_bytes(st.bytes()) + "; bytes are frame lengths on the wire)");
    const std::uint64_t other = st.bytes() - st.ipv4_bytes() - st.ipv6_bytes();
    lines.push_back("Transports: IPv4 " + share(st.ipv4_bytes(), st.bytes()) + ", IPv6 " +
                    share(st.ipv6_bytes(), st.bytes()) + ", not IP " + share(other, st.bytes()) + " (of bytes)");
    return lines;
}

bool write_netviz_page(const TrafficStats& stats, const NetvizPageInfo& info, PageFormat format, std::string& path,
                       std::string& error) {
    const NameAllocator::Created c = create_first_free(path, FileOwner{});
    if (c.fd < 0) {
        error = std::strerror(c.err);
        return false;
    }
    Sink sink{c.fd, 0};
    const cairo_status_t status = render(format, sink, stats, info);
    const int closed = ::close(c.fd);
    if (sink.err != 0) error = std::strerror(sink.err);
    else if (status != CAIRO_STATUS_SUCCESS) error = cairo_status_to_string(status);
    else if (closed != 0) error = std::strerror(errno);
    return error.empty();
}

}  // namespace tcpflow
