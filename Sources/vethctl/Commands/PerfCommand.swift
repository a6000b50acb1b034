import ArgumentParser
import Glibc
import VethKit
import VethKitTopology

/// `vethctl perf FILE FROM TO`: throughput between two nodes of a topology that is up, measured in
/// process (VethKit's Throughput through VethKitTopology's Perf), printed like iperf3 (text) or
/// with iperf3's JSON key names (docs/perf.md). Every option is checked before anything is opened.
struct PerfCommand: TopologyVerb {
    static let configuration = CommandConfiguration(
        commandName: "perf", abstract: "Measure throughput between two nodes of a topology (TCP, or UDP at a bit rate), as iperf3 does.",
        discussion: HelpExamples.discussion("perf", """
        FROM and TO are node names or addresses of nodes. The goodput is counted by the receivers (TO). \
        Also reports TCP retransmits (TCP_INFO), UDP loss, reordering and jitter, and the drop counters of \
        the veths on the path. --json uses iperf3's key names (end.sum_received.bits_per_second, ...). See docs/perf.md.
        """))
    @Argument(help: "The topology file (the topology must be up).") var file: String
    @Argument(help: "The sending node, or an address of it.") var from: String
    @Argument(help: "The receiving node, or an address of it.") var to: String
    @Option(help: ArgumentHelp("Seconds to send (default 10; at most 86400).", valueName: "s")) var duration: String?
    @Option(help: ArgumentHelp("Parallel streams (1-128, default 1).", valueName: "n")) var streams: String?
    @Flag(help: "UDP at --bitrate instead of TCP.") var udp = false
    @Option(help: ArgumentHelp("With --udp: bit rate per stream, as tc or iperf3 write it (100mbit, 1gbit, 50M; default 1mbit).", valueName: "rate"))
    var bitrate: String?
    @Option(help: ArgumentHelp("Seconds per interval report (0.1-60, default 1).", valueName: "s")) var interval: String?
    @Flag(help: "Print JSON with iperf3's key names.") var json = false
    @OptionGroup var namespace: NamespaceOption

    func perform() throws -> String {
        let options = try PerfArguments.options(duration: duration, streams: streams, udp: udp, bitrate: bitrate, interval: interval)
        let r = try TopologyFailure.wrap("perf \(file)") { () -> Perf.Report in
            let t = try Topology.load(file)
            _ = try Perf.endpoints(t, from: from, to: to)
            // The header with the first interval: a test that cannot start prints nothing on stdout.
            var first = true
            return try Perf.run(t, from: from, to: to, options: options) { i in
                guard !json else { return }
                if first {
                    emitLine(PerfOutput.header(t.name, from: from, to: to, options: options) + "\n" + PerfOutput.intervalHeader(udp: udp))
                    first = false
                }
                emitLine(PerfOutput.intervalLine(i))
            }
        }
        let text = json ? PerfOutput.json(r, options: options).serialized : PerfOutput.summary(r).terminalEscaped(keepingNewlines: true)
        let errors = r.throughput.errors
        let nothing = r.throughput.received.bytes == 0
        if !errors.isEmpty || nothing {
            let why = errors.isEmpty ? ["nothing arrived at \(r.endpoints.target)"] : errors
            throw TopologyFailure(stdout: text, stderr: why.map { "vethctl: perf \(file): \($0)" }.joined(separator: "\n"), status: .refused)
        }
        return text
    }
}

/// The option values of `perf`, parsed here so that each bad one is named (exit 2) before any
/// file or namespace is opened.
enum PerfArguments {
    static func options(duration: String?, streams: String?, udp: Bool, bitrate: String?, interval: String?) throws -> Throughput.Options {
        func bad(_ option: String, _ value: String, _ expected: String) -> TopologyFailure {
            TopologyFailure(stderr: "vethctl: perf: invalid \(option) \"\(shown(value))\": \(expected)", status: .badInput)
        }
        var o = Throughput.Options()
        if let duration {
            guard let d = seconds(duration), d > 0, d <= Throughput.Options.durationLimit else {
                throw bad("--duration", duration, "expected seconds, more than 0 and at most \(Int(Throughput.Options.durationLimit))")
            }
            o.duration = d
        }
        if let streams {
            guard let n = Int(streams), (1...Throughput.Options.streamLimit).contains(n) else {
                throw bad("--streams", streams, "expected a whole number from 1 to \(Throughput.Options.streamLimit)")
            }
            o.streams = n
        }
        if let interval {
            guard let i = seconds(interval), i >= 0.1, i <= 60 else { throw bad("--interval", interval, "expected seconds from 0.1 to 60") }
            o.interval = i
        }
        if let bitrate, !udp {
            throw TopologyFailure(stderr: "vethctl: perf: --bitrate \"\(shown(bitrate))\" needs --udp (TCP goes as fast as the path)", status: .badInput)
        }
        if udp {
            var rate: UInt64 = 1_000_000
            if let bitrate {
                guard let r = bitsPerSecond(bitrate) else {
                    throw bad("--bitrate", bitrate, "expected a rate more than 0 and at most 1tbit, like 100mbit, 1gbit, 500kbit or 50M")
                }
                rate = r
            }
            o.transport = .udp(bitsPerSecond: rate)
        }
        try o.validate()
        return o
    }

    /// A value as an error message shows it: control characters escaped, at most 64 characters.
    static func shown(_ value: String) -> String {
        (value.count > 64 ? String(value.prefix(64)) + "…" : value).terminalEscaped(keepingNewlines: false)
    }

    /// `10`, `1.5`, `2s`: finite seconds.
    static func seconds(_ text: String) -> Double? {
        let t = text.hasSuffix("s") ? String(text.dropLast()) : text
        guard !t.isEmpty, t.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e }), let d = Double(t), d.isFinite else { return nil }
        return d
    }

    /// A rate as tc writes it (`bit`, `kbit`, `mbit`, `gbit`, `tbit`, the IEC `kibit`…, bytes per
    /// second as `bps`, `kbps`, `mbps`…, a bare number of bits) or as iperf3's -b (`50M`, `1G`,
    /// `500K`: powers of 1000, bits); case does not matter. Nil for anything else, 0, or above 1 Tbit/s.
    static func bitsPerSecond(_ text: String) -> UInt64? {
        let lower = text.lowercased()
        let digits = lower.prefix { ($0 >= "0" && $0 <= "9") || $0 == "." }
        let unit = lower.dropFirst(digits.count)
        guard !digits.isEmpty, digits.count <= 20, let value = Double(digits), value.isFinite else { return nil }
        let units: [String: Double] = [
            "": 1, "bit": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12,
            "kbit": 1e3, "mbit": 1e6, "gbit": 1e9, "tbit": 1e12,
            "kibit": 1024, "mibit": 1_048_576, "gibit": 1_073_741_824, "tibit": 1_099_511_627_776,
            "bps": 8, "kbps": 8e3, "mbps": 8e6, "gbps": 8e9, "tbps": 8e12,
            "kibps": 8192, "mibps": 8_388_608, "gibps": 8_589_934_592, "tibps": 8_796_093_022_208,
        ]
        guard let scale = units[String(unit)] else { return nil }
        let bits = (value * scale).rounded()
        guard bits >= 1, bits <= 1e12 else { return nil }
        return UInt64(bits)
    }
}
