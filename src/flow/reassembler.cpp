#include "tcpflow/flow/reassembler.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace tcpflow {

namespace {
// Charged per buffered segment on top of its bytes: the map node and vector header.
constexpr std::size_t kSegmentOverhead = 96;

std::uint64_t count_differences(Bytes a, Bytes b) noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) n += a[i] != b[i];
    return n;
}
}  // namespace

Reassembler::~Reassembler() {
    budget_->release(buffered_ + segments_.size() * kSegmentOverhead + holes_charged_);
}

void Reassembler::charge_holes() noexcept {
    const std::size_t now = holes_charge(holes_);
    if (now > holes_charged_) budget_->charge(now - holes_charged_);
    else budget_->release(holes_charged_ - now);
    holes_charged_ = now;
}

void Reassembler::resume_at(std::uint64_t n, std::vector<Hole> holes) noexcept {
    next_ = n;
    holes_ = std::move(holes);
    charge_holes();
}

std::vector<Hole> Reassembler::take_holes() noexcept {
    std::vector<Hole> h = std::move(holes_);
    holes_ = {};
    charge_holes();
    return h;
}

std::uint64_t Reassembler::end() const noexcept {
    if (segments_.empty()) return next_;
    const auto& last = *segments_.rbegin();
    return std::max(next_, last.first + last.second.size());
}

bool Reassembler::covered(std::uint64_t begin, std::uint64_t end_off) const noexcept {
    if (begin >= end_off) return true;
    if (end_off > next_) {
        // Possibly covered by buffered segments beyond next_: walk them.
        std::uint64_t pos = std::max(begin, next_);
        if (begin < next_) {
            for (const auto& h : holes_)
                if (h.offset < next_ && h.offset + h.length > begin && h.offset < end_off) return false;
        }
        auto it = segments_.upper_bound(pos);
        if (it != segments_.begin()) --it;
        for (; it != segments_.end() && pos < end_off; ++it) {
            if (it->first > pos) return false;
            pos = std::max(pos, it->first + it->second.size());
        }
        return pos >= end_off;
    }
    for (const auto& h : holes_)
        if (h.offset < end_off && h.offset + h.length > begin) return false;
    return true;
}

void Reassembler::store_piece(std::uint64_t offset, Bytes piece) {
    segments_.emplace(offset, std::vector<std::uint8_t>(piece.begin(), piece.end()));
    buffered_ += piece.size();
    budget_->charge(piece.size() + kSegmentOverhead);
}

InsertResult Reassembler::insert(std::uint64_t offset, Bytes data, ByteDelivery& out) {
    InsertResult r;
    if (data.empty()) return r;
    // The part before next_ was stored already (a retransmission), or falls into a hole given up
    // earlier: those bytes arrived late, not twice, and go to their offset now.
    if (offset < next_ && !holes_.empty()) {
        const std::uint64_t old = std::min<std::uint64_t>(next_ - offset, data.size());
        if (fill_holes(offset, data.first(static_cast<std::size_t>(old)), out, r)) return finish_late(offset, data, out, r);
    }
    if (offset < next_) {
        const std::uint64_t old = std::min<std::uint64_t>(next_ - offset, data.size());
        r.retransmitted += old;
        // Compare with what was delivered, to count conflicting bytes.
        std::uint8_t back[4096];
        for (std::uint64_t done = 0; done < old;) {
            const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(old - done, sizeof back));
            const std::size_t got = out.read_back(offset + done, std::span<std::uint8_t>{back, want});
            if (got == 0) break;
            r.conflicting += count_differences(Bytes{back, got}, data.subspan(static_cast<std::size_t>(done), got));
            done += got;
        }
        if (policy_ == OverlapPolicy::last) out.deliver(offset, data.first(static_cast<std::size_t>(old)));
        data = data.subspan(static_cast<std::size_t>(old));
        offset += old;
        if (data.empty()) return r;
    }
    // Fast path: continues the stream and nothing is buffered.
    if (offset == next_ && segments_.empty()) {
        out.deliver(offset, data);
        next_ += data.size();
        r.new_bytes = data.size();
        return r;
    }
    // General case: merge into the buffered segments piece by piece.
    const std::uint64_t end_off = offset + data.size();
    std::uint64_t pos = offset;
    auto it = segments_.upper_bound(pos);
    if (it != segments_.begin()) {
        auto prev = std::prev(it);
        if (prev->first + prev->second.size() > pos) it = prev;
    }
    while (pos < end_off) {
        if (it != segments_.end() && it->first <= pos) {
            // Overlap with a buffered segment.
            auto& seg = it->second;
            const std::uint64_t seg_end = it->first + seg.size();
            const std::uint64_t ov_end = std::min(end_off, seg_end);
            const auto n = static_cast<std::size_t>(ov_end - pos);
            const Bytes incoming = data.subspan(static_cast<std::size_t>(pos - offset), n);
            std::uint8_t* stored = seg.data() + (pos - it->first);
            r.retransmitted += n;
            r.conflicting += count_differences(Bytes{stored, n}, incoming);
            if (policy_ == OverlapPolicy::last) std::copy(incoming.begin(), incoming.end(), stored);
            pos = ov_end;
            ++it;
            continue;
        }
        const std::uint64_t gap_end = (it == segments_.end()) ? end_off : std::min(end_off, it->first);
        const Bytes piece = data.subspan(static_cast<std::size_t>(pos - offset), static_cast<std::size_t>(gap_end - pos));
        if (pos == next_ && (segments_.empty() || segments_.begin()->first >= gap_end)) {
            out.deliver(pos, piece);
            next_ = gap_end;
        } else {
            store_piece(pos, piece);
            r.out_of_order = true;
        }
        r.new_bytes += piece.size();
        pos = gap_end;
        it = segments_.lower_bound(pos);
    }
    drain(out);
    return r;
}

void Reassembler::drain(ByteDelivery& out) {
    while (!segments_.empty() && segments_.begin()->first <= next_) {
        auto node = segments_.extract(segments_.begin());
        const std::uint64_t start = node.key();
        const auto& seg = node.mapped();
        const std::uint64_t seg_end = start + seg.size();
        if (seg_end > next_) {
            const auto skip = static_cast<std::size_t>(next_ - start);
            out.deliver(next_, Bytes{seg.data() + skip, seg.size() - skip});
            next_ = seg_end;
        }
        buffered_ -= seg.size();
        budget_->release(seg.size() + kSegmentOverhead);
    }
}

bool Reassembler::fill_holes(std::uint64_t offset, Bytes data, ByteDelivery& out, InsertResult& r) {
    const std::uint64_t end_off = offset + data.size();
    // Holes are disjoint and sorted by offset: the first that ends after `offset`.
    auto it = std::upper_bound(holes_.begin(), holes_.end(), offset,
                               [](std::uint64_t o, const Hole& h) { return o < h.offset + h.length; });
    if (it == holes_.end() || it->offset >= end_off) return false;
    std::uint64_t pos = offset;
    while (pos < end_off) {
        if (it == holes_.end() || it->offset >= end_off) {
            retransmitted_part(pos, data.subspan(static_cast<std::size_t>(pos - offset)), out, r);
            break;
        }
        if (it->offset > pos) {   // stored bytes before this hole
            retransmitted_part(pos, data.subspan(static_cast<std::size_t>(pos - offset), static_cast<std::size_t>(it->offset - pos)), out, r);
            pos = it->offset;
        }
        const std::uint64_t h_end = it->offset + it->length;
        const std::uint64_t fill_end = std::min(end_off, h_end);
        out.deliver(pos, data.subspan(static_cast<std::size_t>(pos - offset), static_cast<std::size_t>(fill_end - pos)));
        r.new_bytes += fill_end - pos;
        r.out_of_order = true;
        // Shrink or split the hole (a split that would pass the cap keeps the hole whole: the
        // report then overstates it, but the bytes are written).
        if (pos == it->offset && fill_end == h_end) {
            it = holes_.erase(it);
        } else if (pos == it->offset) {
            it->offset = fill_end;
            it->length = h_end - fill_end;
            ++it;
        } else if (fill_end == h_end) {
            it->length = pos - it->offset;
            ++it;
        } else if (holes_.size() < kMaxHoles) {
            const Hole right{fill_end, h_end - fill_end};
            it->length = pos - it->offset;
            it = holes_.insert(std::next(it), right);
            charge_holes();
            ++it;
        } else {
            ++it;
        }
        pos = fill_end;
    }
    return true;
}

void Reassembler::retransmitted_part(std::uint64_t offset, Bytes data, ByteDelivery& out, InsertResult& r) {
    r.retransmitted += data.size();
    std::uint8_t back[4096];
    for (std::size_t done = 0; done < data.size();) {
        const std::size_t want = std::min(data.size() - done, sizeof back);
        const std::size_t got = out.read_back(offset + done, std::span<std::uint8_t>{back, want});
        if (got == 0) break;
        r.conflicting += count_differences(Bytes{back, got}, data.subspan(done, got));
        done += got;
    }
    if (policy_ == OverlapPolicy::last) out.deliver(offset, data);
}

InsertResult Reassembler::finish_late(std::uint64_t offset, Bytes data, ByteDelivery& out, InsertResult& r) {
    const std::uint64_t old = std::min<std::uint64_t>(next_ - offset, data.size());
    if (old == data.size()) return r;
    const InsertResult rest = insert(offset + old, data.subspan(static_cast<std::size_t>(old)), out);
    r.new_bytes += rest.new_bytes;
    r.retransmitted += rest.retransmitted;
    r.conflicting += rest.conflicting;
    r.out_of_order = r.out_of_order || rest.out_of_order;
    return r;
}

void Reassembler::record_hole(std::uint64_t offset, std::uint64_t length) {
    if (holes_.size() >= kMaxHoles) {
        // Bounded: the newest hole absorbs the previous one (and the bytes between, which are
        // written already and stay as they are).
        Hole& last = holes_.back();
        last.length = offset + length - last.offset;
        return;
    }
    holes_.push_back(Hole{offset, length});
    charge_holes();
}

bool Reassembler::give_up_first_hole(ByteDelivery& out) {
    if (segments_.empty()) return false;
    const std::uint64_t start = segments_.begin()->first;
    if (start > next_) {
        record_hole(next_, start - next_);
        next_ = start;
    }
    drain(out);
    return true;
}

void Reassembler::give_up_all(ByteDelivery& out) {
    while (give_up_first_hole(out)) {
    }
}

void Reassembler::rebase(std::uint64_t n, std::uint64_t front) {
    if (n == 0) return;
    std::map<std::uint64_t, std::vector<std::uint8_t>> moved;
    for (auto& [off, seg] : segments_) moved.emplace(off + n, std::move(seg));
    segments_.swap(moved);
    for (auto& h : holes_) h.offset += n;
    if (front < n) {
        holes_.insert(holes_.begin(), Hole{front, n - front});
        charge_holes();
    }
    next_ += n;
}

}  // namespace tcpflow
