import VethKitJSON
/// One plugin invocation, from environment and stdin to stdout and exit status.
public enum CNIPlugin {
    /// What to print and the exit status.
    public struct Outcome: Equatable, Sendable {
        public var stdout: String
        public var status: Int32
        /// Unstructured notes for the runtime's log (the spec allows stderr for them).
        public var stderr: String = ""
    }

    /// Runs the verb in CNI_COMMAND. Never throws: errors become the spec's error object.
    /// The largest network configuration read from stdin (16 MiB; real ones are a few KiB).
    /// The executable stops reading past it and `run` refuses the input with code 6.
    public static let maxConfigurationBytes = 16 << 20

    public static func run(environment: [String: String], stdin: [UInt8]) -> Outcome {
        if stdin.count <= maxConfigurationBytes, let j = try? JSON.parse(stdin, what: "stdin"),
           j["type"]?.stringValue == Loopback.pluginType {
            return loopback(environment: environment, config: j)
        }
        if environment["CNI_COMMAND"] == CNICommand.del.rawValue { return del(environment: environment, stdin: stdin) }
        if stdin.count > maxConfigurationBytes {
            let e = CNIError(.decodingFailure, "stdin: the network configuration exceeds \(maxConfigurationBytes >> 20) MiB")
            return Outcome(stdout: e.json(cniVersion: CNIVersion.latest).serialized + "\n", status: 1)
        }
        // The error object's cniVersion: the configuration's when it is one we know.
        var version = CNIVersion.latest
        if let j = try? JSON.parse(stdin, what: "stdin"), let v = j["cniVersion"]?.stringValue, CNIVersion.supported.contains(v) {
            version = v
        }
        do {
            let env = try CNIEnvironment(environment)
            if env.command == .version {
                let requested = (try? JSON.parse(stdin, what: "stdin"))?["cniVersion"]?.stringValue
                return Outcome(stdout: CNIVersion.versionInfo(requested: requested).serialized + "\n", status: 0)
            }
            let config = try NetworkConfig(stdin: stdin, command: env.command)
            version = config.cniVersion
            switch env.command {
            case .check where !CNIVersion.atLeast(config.cniVersion, "0.4.0"):
                throw CNIError(.incompatibleVersion, "CHECK needs cniVersion 0.4.0 or later", details: "configuration has \(config.cniVersion)")
            case .gc where !CNIVersion.atLeast(config.cniVersion, "1.1.0"), .status where !CNIVersion.atLeast(config.cniVersion, "1.1.0"):
                throw CNIError(.incompatibleVersion, "\(env.command.rawValue) needs cniVersion 1.1.0 or later",
                               details: "configuration has \(config.cniVersion)")
            default: break
            }
            let net = try BridgeNetwork(environment: env, config: config, stdin: stdin)
            switch env.command {
            case .add:
                let result = try net.add()
                return Outcome(stdout: result.json(version: config.cniVersion).serialized + "\n", status: 0)
            case .del: break
            case .check: try net.check()
            case .gc: try net.gc()
            case .status:
                let notes = try net.status()
                return Outcome(stdout: "", status: 0, stderr: notes.map { "vethkit-cni: STATUS: \($0.cniEscaped(max: 1000))\n" }.joined())
            case .version: break
            }
            return Outcome(stdout: "", status: 0)
        } catch let e as CNIError {
            return Outcome(stdout: e.json(cniVersion: version).serialized + "\n", status: 1)
        } catch {
            return Outcome(stdout: cniError(error, "plugin").json(cniVersion: version).serialized + "\n", status: 1)
        }
    }

    /// A `"type": "loopback"` configuration (``Loopback``): only `cniVersion` and `name` are read.
    static func loopback(environment: [String: String], config: JSON) -> Outcome {
        let requested = config["cniVersion"]?.stringValue ?? ""
        let version = CNIVersion.supported.contains(requested) ? requested : CNIVersion.latest
        func failure(_ e: CNIError) -> Outcome { Outcome(stdout: e.json(cniVersion: version).serialized + "\n", status: 1) }
        do {
            let env = try CNIEnvironment(environment)
            if env.command == .version {
                return Outcome(stdout: CNIVersion.versionInfo(requested: requested).serialized + "\n", status: 0)
            }
            guard CNIVersion.supported.contains(requested) else {
                if env.command == .del { return Outcome(stdout: "", status: 0) }
                throw CNIError(.incompatibleVersion, "unsupported cniVersion \"\(requested.cniEscaped)\"",
                               details: "supported: \(CNIVersion.supported.joined(separator: ", "))")
            }
            switch env.command {
            case .check where !CNIVersion.atLeast(version, "0.4.0"):
                throw CNIError(.incompatibleVersion, "CHECK needs cniVersion 0.4.0 or later", details: "configuration has \(version)")
            case .gc where !CNIVersion.atLeast(version, "1.1.0"), .status where !CNIVersion.atLeast(version, "1.1.0"):
                throw CNIError(.incompatibleVersion, "\(env.command.rawValue) needs cniVersion 1.1.0 or later", details: "configuration has \(version)")
            default: break
            }
            let (result, notes) = try Loopback.run(env, cniVersion: version)
            let stderr = notes.map { "vethkit-cni: \(env.command.rawValue): \($0.cniEscaped(max: 1000))\n" }.joined()
            return Outcome(stdout: result.map { $0.json(version: version).serialized + "\n" } ?? "", status: 0, stderr: stderr)
        } catch let e as CNIError {
            // DEL never fails for input: a loopback has nothing to release.
            if environment["CNI_COMMAND"] == CNICommand.del.rawValue, e.code == .invalidEnvironment { return Outcome(stdout: "", status: 0) }
            return failure(e)
        } catch {
            return failure(cniError(error, "loopback"))
        }
    }

    /// DEL (``Deletion``): only the fields it needs are read; input that ADD refuses means ADD made
    /// nothing, so DEL succeeds and says so on stderr. It fails only when something that may be
    /// ADD's cannot be removed (the kernel, the store or nftables refused, a delegate's DEL failed).
    static func del(environment: [String: String], stdin: [UInt8]) -> Outcome {
        var version = CNIVersion.latest
        if stdin.count <= maxConfigurationBytes, let j = try? JSON.parse(stdin, what: "stdin"),
           let v = j["cniVersion"]?.stringValue, CNIVersion.supported.contains(v) {
            version = v
        }
        switch Deletion.read(environment: environment, stdin: stdin) {
        case .nothingToRemove(let why):
            return Outcome(stdout: "", status: 0, stderr: "vethkit-cni: DEL: nothing to remove: ADD refuses this input (\(why.cniEscaped(max: 1000)))\n")
        case .remove(let d):
            do {
                let notes = try d.run()
                return Outcome(stdout: "", status: 0, stderr: notes.map { "vethkit-cni: DEL: \($0.cniEscaped(max: 1000))\n" }.joined())
            } catch {
                return Outcome(stdout: cniError(error, "DEL").json(cniVersion: version).serialized + "\n", status: 1)
            }
        }
    }
}
