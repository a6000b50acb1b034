/// nsfs bind mounts of network namespaces, from /proc/PID/mountinfo: read once per mount
/// namespace (the caller's through /proc/thread-self, each other one through the first of its
/// processes whose file can be read).
enum MountInfoScan {
    struct Entry: Equatable {
        var device: UInt64
        var inode: UInt64
        var path: String
    }

    /// mountinfo's lines whose filesystem is nsfs and whose root is `net:[N]`: field 3 is
    /// `major:minor`, field 4 the root, field 5 the mount point (octal escapes `\040` etc.),
    /// and the filesystem type follows the ` - ` separator. Malformed lines are skipped.
    static func parse(_ bytes: [UInt8]) -> [Entry] {
        var out: [Entry] = []
        var start = 0
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != 0x0A { end += 1 }
            if let e = parseLine(bytes[start..<end]) { out.append(e) }
            start = end + 1
        }
        return out
    }

    static func parseLine(_ line: ArraySlice<UInt8>) -> Entry? {
        var fields: [ArraySlice<UInt8>] = []
        fields.reserveCapacity(12)
        var i = line.startIndex
        while i < line.endIndex {
            while i < line.endIndex && line[i] == 0x20 { i += 1 }
            let s = i
            while i < line.endIndex && line[i] != 0x20 { i += 1 }
            if s < i { fields.append(line[s..<i]) }
        }
        guard fields.count >= 10, let sep = fields[6...].firstIndex(where: { $0.elementsEqual([0x2D]) }), sep + 1 < fields.count, fields[sep + 1].elementsEqual(Array("nsfs".utf8)),
              let inode = ProcFiles.namespaceInode(fields[3], type: "net") else { return nil }
        let devField = fields[2]
        guard let colon = devField.firstIndex(of: 0x3A),
              let major = UInt64(decimal: devField[devField.startIndex..<colon]),
              let minor = UInt64(decimal: devField[(colon + 1)...]) else { return nil }
        return Entry(device: ProcFiles.makeDevice(major: major, minor: minor), inode: inode, path: unescape(fields[4]))
    }

    /// Undoes the kernel's `\ooo` escapes (space, tab, newline, backslash); invalid UTF-8 is
    /// replaced (such a path cannot be opened through a String: ``NamespaceInventory/open(_:)``
    /// checks identities, so it fails safely).
    static func unescape(_ field: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(field.count)
        var i = field.startIndex
        while i < field.endIndex {
            let b = field[i]
            if b == 0x5C, field.endIndex - i >= 4 {
                let d = field[(i + 1)...(i + 3)]
                if d.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }) {
                    let v = d.reduce(0) { $0 * 8 + Int($1 - 0x30) }
                    if v <= 0xFF {
                        out.append(UInt8(v))
                        i += 4
                        continue
                    }
                }
            }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads mountinfo: the first readable of `paths`, with the index of the one read.
    static func read(_ paths: [String]) -> (index: Int, entries: [Entry])? {
        for (i, p) in paths.enumerated() {
            if let bytes = ProcFiles.read(p, limit: 256 << 20) { return (i, parse(bytes)) }
        }
        return nil
    }
}

extension UInt64 {
    init?<C: Collection>(decimal bytes: C) where C.Element == UInt8 {
        guard !bytes.isEmpty, bytes.count <= 19 else { return nil }
        var v: UInt64 = 0
        for b in bytes {
            guard b >= 0x30, b <= 0x39 else { return nil }
            v = v * 10 + UInt64(b - 0x30)
        }
        self = v
    }
}
