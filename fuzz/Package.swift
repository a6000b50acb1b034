// swift-tools-version:6.0
import Foundation
import PackageDescription

// libFuzzer targets for VethKit's decoders of untrusted input (see fuzz/run and fuzz/RESULTS.md).
// Built with `-sanitize=fuzzer` passed by fuzz/run, which instruments the root package's libraries
// too. The root package is a path dependency; SwiftPM names it after its directory, so the name
// is computed from this file's location (the repository can live in any directory).
let rootDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let root = rootDirectory.lastPathComponent.lowercased()

func fuzzer(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzMain"] + products.map { .product(name: $0, package: root) },
                      swiftSettings: [.unsafeFlags(["-parse-as-library"])])
}

let package = Package(
    name: "VethKitFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: rootDirectory.path)],
    targets: [
        .target(name: "FuzzMain"),
        fuzzer("fuzz-netlink", ["VethKit"]),
        fuzzer("fuzz-topology", ["VethKitTopology"]),
        fuzzer("fuzz-cni", ["VethKitCNI", "VethKitJSON"]),
    ]
)
