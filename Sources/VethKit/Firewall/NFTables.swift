import Glibc
import Netlink

/// nftables through libnftables, loaded at run time with `dlopen("libnftables.so.1")`: the same
/// library the `nft` tool uses, in process, without a subprocess. Commands are nft's own syntax.
public enum NFTables {
    /// The library is missing (Debian: `apt-get install libnftables1`, pulled in by `nftables`).
    public struct Unavailable: Error, CustomStringConvertible, Sendable {
        public let reason: String
        public var description: String {
            "nftables is not available: \(reason) (install libnftables1, e.g. apt-get install nftables)"
        }
    }

    /// nft refused a command: its error text.
    public struct CommandError: Error, CustomStringConvertible, Sendable {
        public let commands: String
        public let message: String
        public var description: String { "nftables refused \"\(commands.split(separator: "\n").first ?? "")…\": \(message)" }
        /// True when nft said the object does not exist.
        public var isNotFound: Bool { message.contains("No such file or directory") }
    }

    private typealias CtxNew = @convention(c) (UInt32) -> OpaquePointer?
    private typealias CtxFree = @convention(c) (OpaquePointer?) -> Void
    private typealias RunCmd = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    private typealias Buffer = @convention(c) (OpaquePointer?) -> Int32
    private typealias GetBuffer = @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?

    private struct Library: @unchecked Sendable {
        let ctxNew: CtxNew, ctxFree: CtxFree, run: RunCmd
        let bufferOutput: Buffer, bufferError: Buffer
        let getOutput: GetBuffer, getError: GetBuffer
    }

    private static let library: Result<Library, Unavailable> = {
        guard let h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL) else {
            return .failure(Unavailable(reason: dlerror().map { String(cString: $0) } ?? "dlopen(libnftables.so.1) failed"))
        }
        func sym<T>(_ name: String, _: T.Type) -> T? {
            guard let p = dlsym(h, name) else { return nil }
            return unsafeBitCast(p, to: T.self)
        }
        guard let n = sym("nft_ctx_new", CtxNew.self), let f = sym("nft_ctx_free", CtxFree.self),
              let r = sym("nft_run_cmd_from_buffer", RunCmd.self),
              let bo = sym("nft_ctx_buffer_output", Buffer.self), let be = sym("nft_ctx_buffer_error", Buffer.self),
              let go = sym("nft_ctx_get_output_buffer", GetBuffer.self), let ge = sym("nft_ctx_get_error_buffer", GetBuffer.self)
        else { return .failure(Unavailable(reason: "libnftables.so.1 lacks the nft_ctx_* API")) }
        return .success(Library(ctxNew: n, ctxFree: f, run: r, bufferOutput: bo, bufferError: be, getOutput: go, getError: ge))
    }()

    /// True when libnftables can be loaded.
    public static var isAvailable: Bool { if case .success = library { return true }; return false }

    /// Runs `commands` (one nft transaction) in the calling thread's network namespace and
    /// returns nft's output. Throws ``Unavailable`` or ``CommandError``.
    @discardableResult
    public static func run(_ commands: String) throws -> String {
        // Without CAP_NET_ADMIN every nft request is refused, and libnftables prints its own
        // "Operation not permitted (you must be root)" on standard error: refused here instead.
        guard Capabilities.hasNetAdmin else { throw SystemCallError("nftables \"\(commands.prefix(40))\"", .notPermitted) }
        let lib = try library.get()
        guard let ctx = lib.ctxNew(0) else { throw Unavailable(reason: "nft_ctx_new failed") }
        defer { lib.ctxFree(ctx) }
        _ = lib.bufferOutput(ctx)
        _ = lib.bufferError(ctx)
        let rc = commands.withCString { lib.run(ctx, $0) }
        let out = lib.getOutput(ctx).map { String(cString: $0) } ?? ""
        if rc != 0 {
            let err = lib.getError(ctx).map { String(cString: $0) } ?? "error \(rc)"
            throw CommandError(commands: commands, message: err.trimmingNewlines)
        }
        return out
    }

    /// Runs `commands` inside `namespace` (on a dedicated thread there), or here for nil.
    @discardableResult
    public static func run(_ commands: String, in namespace: NetworkNamespace?) throws -> String {
        guard let namespace else { return try run(commands) }
        return try namespace.run { try run(commands) }
    }
}

extension String {
    var trimmingNewlines: String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
