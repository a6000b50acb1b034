import Glibc

/// Reading an input whose size nobody vouches for (a batch, a topology file, a record file): to
/// its end, but never more than a limit, so /dev/zero, a FIFO or an endless pipe is one error
/// instead of unbounded memory.
public enum BoundedRead {
    /// More than `limit` bytes arrived.
    public struct TooLarge: Error, Sendable {
        public var limit: Int
    }

    /// Reads `fd` to its end, retrying on EINTR. Throws ``TooLarge`` as soon as more than `limit`
    /// bytes arrive, and ``SystemCallError`` ("read") when a read fails.
    public static func all(_ fd: Int32, limit: Int) throws -> [UInt8] {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("read")
            }
            if n == 0 { return data }
            guard data.count + n <= limit else { throw TooLarge(limit: limit) }
            data += chunk[0..<n]
        }
    }
}
