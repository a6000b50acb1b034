// swift-tools-version:6.0
import PackageDescription

// Layers (imports point down only):
//   vethctl, vethkit-cni           executables
//   VethKitTopology, VethKitCNI    YAML topologies (through Debian's libyaml, CYAML); CNI spec + IPAM
//   VethKitJSON                    JSON values, ordered writer, strict parser (no dependencies)
//   VethKit                        typed kernel objects (links, addresses, routes, namespaces)
//   Netlink                        wire format and the socket
//   CLinuxUAPI                     the kernel's own constants and struct layouts (C, header only)
//
// Release executables are stripped by the linker (`swift build -c release` itself; debug builds
// keep their symbols for the debugger and for test failures' backtraces).
let stripRelease: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "-s"], .when(configuration: .release))]

let package = Package(
    name: "VethKit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "VethKit", targets: ["VethKit"]),
        .library(name: "VethKitTopology", targets: ["VethKitTopology"]),
        .library(name: "VethKitCNI", targets: ["VethKitCNI"]),
        .library(name: "VethKitJSON", targets: ["VethKitJSON"]),
        .executable(name: "vethctl", targets: ["vethctl"]),
        .executable(name: "vethkit-cni", targets: ["vethkit-cni"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        .target(name: "CLinuxUAPI"),
        .target(name: "Netlink", dependencies: ["CLinuxUAPI", .product(name: "SystemPackage", package: "swift-system")]),
        .target(name: "VethKit", dependencies: ["Netlink", "CLinuxUAPI", "VethKitJSON", .product(name: "SystemPackage", package: "swift-system")]),
        // JSON values, an ordered writer and a strict parser: one module for vethctl, the topology
        // engine and the CNI plugin (no Foundation, nothing at start-up).
        .target(name: "VethKitJSON"),
        // Debian's libyaml (apt-get install libyaml-dev): the topology loader reads YAML through it.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "VethKitTopology", dependencies: ["VethKit", "VethKitJSON", "CYAML"]),
        .target(name: "VethKitCNI", dependencies: ["VethKit", "VethKitJSON"]),
        .executableTarget(name: "vethctl", dependencies: [
            "VethKit", "VethKitJSON", "VethKitTopology", "VethKitCNI",   // VethKitCNI: `orphans` reads its IPAM stores
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: stripRelease),
        .executableTarget(name: "vethkit-cni", dependencies: ["VethKitCNI"], linkerSettings: stripRelease),
        // The seed's six steps with the public API only (docs/library.md); built by `swift build`,
        // run by VethKitTests' SixStepsExampleTests.
        .executableTarget(name: "SixSteps", dependencies: ["VethKit"], path: "Examples/SixSteps"),
        // Times NamespaceInventory.discover (issue 10): `swift run -c release DiscoverBench 20 -v`.
        .executableTarget(name: "DiscoverBench", dependencies: ["VethKit"], path: "Examples/DiscoverBench"),
        // MachinePeerMap.scan with the public API: bench/netns-bench.sh times it.
        .executableTarget(name: "MachinePeers", dependencies: ["VethKit"], path: "Examples/MachinePeers"),
        // Shared by the test targets only: kernel-test gating, running binaries, `ip -j` cross-checks.
        .target(name: "VethKitTestSupport", dependencies: ["VethKit", "VethKitJSON"], path: "Tests/Support"),
        .testTarget(name: "VethKitJSONTests", dependencies: ["VethKitJSON"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "CLinuxUAPI", .product(name: "SystemPackage", package: "swift-system")]),
        .testTarget(name: "VethKitTests", dependencies: ["VethKit", "Netlink", "CLinuxUAPI", "VethKitTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "VethKitTopologyTests", dependencies: ["VethKitTopology", "VethKitTestSupport"]),
        .testTarget(name: "VethKitCNITests", dependencies: ["VethKitCNI", "VethKitJSON", "VethKitTestSupport"]),
        .testTarget(name: "vethctlTests", dependencies: ["VethKit", "VethKitJSON", "VethKitTopology", "VethKitCNI", "VethKitTestSupport"]),
    ]
)
