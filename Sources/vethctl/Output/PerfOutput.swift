import VethKit
import VethKitJSON
import VethKitTopology

/// What `vethctl perf` prints: iperf3's layout in text (interval lines as they come, then the
/// sender's and the receiver's totals), and iperf3's key names in JSON for the parts iperf3 has
/// (`start`, `intervals[].sum`, `end.sum_sent`, `end.sum_received`, `end.sum` for UDP,
/// `end.streams[]`), with VethKit's additions (the path's drop counters) under `vethkit`.
enum PerfOutput {
    /// `perf routers: h1 -> h2, TCP, 1 stream, 10 s (goodput counted by the receiver)`.
    static func header(_ topology: String, from: String, to: String, options: Throughput.Options) -> String {
        let kind: String
        if case .udp(let rate, _) = options.transport { kind = "UDP at \(bits(Double(rate))) per stream" } else { kind = "TCP" }
        let s = options.streams == 1 ? "1 stream" : "\(options.streams) streams"
        return "perf \(topology): \(from) -> \(to), \(kind), \(s), \(FixedPoint.text(options.duration, places: 2)) s (goodput counted by the receiver)"
            .terminalEscaped(keepingNewlines: false)
    }

    static func intervalHeader(udp: Bool) -> String {
        udp ? "Interval           Transfer     Bitrate          Datagrams (received)" : "Interval           Transfer     Bitrate          Retr"
    }

    /// `  0.00-1.00   sec  1.09 GBytes  9.38 Gbits/sec  0`: received in the interval.
    static func intervalLine(_ i: Throughput.Interval) -> String {
        let span = "\(FixedPoint.text(i.start, places: 2))-\(FixedPoint.text(i.end, places: 2))"
        let extra = i.retransmits.map { String($0) } ?? i.packetsReceived.map { String($0) } ?? ""
        return pad(span, 11) + " sec  " + pad(bytes(i.bytesReceived), 11) + "  " + pad(bits(i.bitsPerSecond), 15) + "  " + extra
    }

    static func summary(_ r: Perf.Report) -> String {
        let t = r.throughput
        var lines: [String] = ["- - - - - - - - - - - - - - - - - - - - - - - - -"]
        func span(_ s: Throughput.Span) -> String { "\(FixedPoint.text(s.start, places: 2))-\(FixedPoint.text(s.end, places: 2))" }
        var sent = pad(span(t.sent), 11) + " sec  " + pad(bytes(t.sent.bytes), 11) + "  " + pad(bits(t.sent.bitsPerSecond), 15)
        if let tcp = t.tcp { sent += "  \(tcp.retransmits) retransmits" }
        lines.append(sent + "  sender")
        var received = pad(span(t.received), 11) + " sec  " + pad(bytes(t.received.bytes), 11) + "  " + pad(bits(t.received.bitsPerSecond), 15)
        if let u = t.udp {
            received += "  \(FixedPoint.text(u.jitter * 1000, places: 3)) ms jitter  \(u.lost)/\(u.packetsSent) lost (\(FixedPoint.text(u.lostPercent, places: 2))%)"
            if u.outOfOrder > 0 { received += "  \(u.outOfOrder) out of order" }
            if u.duplicates > 0 { received += "  \(u.duplicates) duplicates" }
        }
        lines.append(received + "  receiver")
        if t.streams.count > 1 {
            for (k, s) in t.streams.enumerated() {
                lines.append("  stream \(k + 1): \(bits(s.received.bitsPerSecond)) received" + (s.tcp.map { ", \($0.retransmits) retransmits" } ?? ""))
            }
        }
        lines.append("goodput \(r.endpoints.from) -> \(r.endpoints.to) (\(r.endpoints.target)): \(bits(t.received.bitsPerSecond)), counted by the receiver")
        let how = r.pathFollowed ? "path" : "links of \(r.endpoints.from) and \(r.endpoints.to) (path not followed)"
        let ends = r.path.map { e -> String in
            let d = e.rxDropped.map { rx in "rx_dropped +\(rx) tx_dropped +\(e.txDropped ?? 0)" } ?? "not found"
            return "  \(e.node)/\(e.interface): \(d)"
        }
        lines.append("\(how): \(r.path.map { "\($0.node)/\($0.interface)" }.joined(separator: " -> "))")
        lines += ends
        return lines.joined(separator: "\n")
    }

    // MARK: JSON

    static func number(_ d: Double) -> JSON { d.isFinite ? .double(d) : .int(0) }

    static func spanObject(_ s: Throughput.Span, sender: Bool, extra: JSONObject = [:]) -> JSONObject {
        var o: JSONObject = ["start": number(s.start), "end": number(s.end), "seconds": number(s.seconds),
                             "bytes": .uint(s.bytes), "bits_per_second": number(s.bitsPerSecond)]
        for f in extra { o[f.key] = f.value }
        o["sender"] = .bool(sender)
        return o
    }

    static func udpObject(_ u: Throughput.UDPStatistics) -> JSONObject {
        ["jitter_ms": number(u.jitter * 1000), "lost_packets": .uint(u.lost), "packets": .uint(u.packetsSent),
         "lost_percent": number(u.lostPercent), "out_of_order": .uint(u.outOfOrder)]
    }

    static func json(_ r: Perf.Report, options: Throughput.Options) -> JSON {
        let t = r.throughput
        let udp: Bool
        var rate: UInt64 = 0
        var blksize = options.writeSize
        if case .udp(let b, let size) = options.transport { (udp, rate, blksize) = (true, b, size) } else { udp = false }
        let start: JSONObject = [
            "connecting_to": .object(["host": .string(r.endpoints.target.description), "port": .int(0)]),
            "test_start": .object(["protocol": .string(udp ? "UDP" : "TCP"), "num_streams": .int(Int64(options.streams)),
                                   "blksize": .int(Int64(blksize)), "duration": number(options.duration), "target_bitrate": .uint(rate)]),
        ]
        let intervals = t.intervals.map { i -> JSON in
            var sum: JSONObject = ["start": number(i.start), "end": number(i.end), "seconds": number(i.seconds),
                                   "bytes": .uint(i.bytesReceived), "bits_per_second": number(i.bitsPerSecond)]
            if let x = i.retransmits { sum["retransmits"] = .uint(x) }
            if let x = i.packetsReceived { sum["packets"] = .uint(x) }
            sum["omitted"] = .bool(false)
            sum["sender"] = .bool(false)
            return .object(["sum": .object(sum)])
        }
        var end: JSONObject = [:]
        end["streams"] = .array(t.streams.map { s in
            var sender: JSONObject = [:]
            if let tcp = s.tcp {
                sender = ["retransmits": .uint(tcp.retransmits), "max_snd_cwnd": .uint(tcp.maxCongestionWindow),
                          "max_rtt": .uint(UInt64(tcp.maxRTT)), "min_rtt": .uint(UInt64(tcp.minRTT)), "mean_rtt": .uint(UInt64(tcp.meanRTT))]
            }
            var stream: JSONObject = ["sender": .object(spanObject(s.sent, sender: true, extra: sender)),
                                      "receiver": .object(spanObject(s.received, sender: false))]
            if let u = s.udp { stream["udp"] = .object(spanObject(s.sent, sender: true, extra: udpObject(u))) }
            if let e = s.error { stream["error"] = .string(e) }
            return .object(stream)
        })
        if let u = t.udp {
            // As iperf3: `sum` has the sender's bytes and rate with the receiver's loss and jitter.
            end["sum"] = .object(spanObject(t.sent, sender: false, extra: udpObject(u)))
        }
        var sentExtra: JSONObject = [:]
        if let tcp = t.tcp { sentExtra["retransmits"] = .uint(tcp.retransmits) }
        if let u = t.udp { sentExtra = ["packets": .uint(u.packetsSent)] }
        end["sum_sent"] = .object(spanObject(t.sent, sender: true, extra: sentExtra))
        var receivedExtra: JSONObject = [:]
        if let u = t.udp { receivedExtra = udpObject(u) }
        end["sum_received"] = .object(spanObject(t.received, sender: false, extra: receivedExtra))
        let path = r.path.map { e -> JSON in
            var o: JSONObject = ["node": .string(e.node), "interface": .string(e.interface)]
            if let rx = e.rxDropped, let tx = e.txDropped, let b = e.before, let a = e.after {
                o["rx_dropped"] = .uint(rx)
                o["tx_dropped"] = .uint(tx)
                o["before"] = .object(["rx_dropped": .uint(b.rxDropped), "tx_dropped": .uint(b.txDropped), "rx_packets": .uint(b.rxPackets), "tx_packets": .uint(b.txPackets)])
                o["after"] = .object(["rx_dropped": .uint(a.rxDropped), "tx_dropped": .uint(a.txDropped), "rx_packets": .uint(a.rxPackets), "tx_packets": .uint(a.txPackets)])
            } else {
                o["error"] = .string("link not found")
            }
            return .object(o)
        }
        let vethkit: JSONObject = ["topology": .string(r.topology), "from": .string(r.endpoints.from), "to": .string(r.endpoints.to),
                                   "target": .string(r.endpoints.target.description), "goodput_counted_by": .string("receiver"),
                                   "path_followed": .bool(r.pathFollowed), "path": .array(path), "errors": .array(t.errors.map { .string($0) })]
        return .object(["start": .object(start), "intervals": .array(intervals), "end": .object(end), "vethkit": .object(vethkit)])
    }

    // MARK: units, as iperf3 prints them

    /// `9.38 Gbits/sec` (powers of 1000).
    static func bits(_ bps: Double) -> String {
        for (limit, unit) in [(1e12, "Tbits/sec"), (1e9, "Gbits/sec"), (1e6, "Mbits/sec"), (1e3, "Kbits/sec")] where bps >= limit {
            return FixedPoint.text(bps / limit, places: 2) + " " + unit
        }
        return FixedPoint.text(bps, places: 0) + " bits/sec"
    }

    /// `1.09 GBytes` (powers of 1024).
    static func bytes(_ n: UInt64) -> String {
        let d = Double(n)
        for (limit, unit) in [(1_099_511_627_776.0, "TBytes"), (1_073_741_824.0, "GBytes"), (1_048_576.0, "MBytes"), (1024.0, "KBytes")] where d >= limit {
            return FixedPoint.text(d / limit, places: 2) + " " + unit
        }
        return "\(n) Bytes"
    }

    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
}
