// swift-tools-version: 6.2
// The gVisor runtime for containerd and Kubernetes (Gardener), in Swift.
// Module map: README.md, section "Architecture".

import PackageDescription

/// Every target of ours builds with warnings as errors; dependencies keep their own settings.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let protobuf: Target.Dependency = .product(name: "SwiftProtobuf", package: "swift-protobuf")

let package = Package(
    name: "gvisor-runtime",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TTRPC", targets: ["TTRPC"]),
        .library(name: "ShimAPI", targets: ["ShimAPI"]),
        .library(name: "GVisorConfig", targets: ["GVisorConfig"]),
        .library(name: "Runsc", targets: ["Runsc"]),
        .library(name: "NodeInstaller", targets: ["NodeInstaller"]),
        .library(name: "Hardening", targets: ["Hardening"]),
        .library(name: "NVProxy", targets: ["NVProxy"]),
        .executable(name: "containerd-shim-runsc-v1", targets: ["containerd-shim-runsc-v1"]),
        .executable(name: "gvisor-node", targets: ["gvisor-node"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // ttrpc framing, server and client over unix sockets; nothing containerd-specific.
        .target(
            name: "TTRPC", dependencies: nio + [protobuf], exclude: ["Protos"], swiftSettings: strict),
        // containerd shim API messages (generated, `make protos`) and the Task service glue.
        .target(
            name: "ShimAPI", dependencies: ["TTRPC", protobuf], exclude: ["Protos"], swiftSettings: strict),
        // GVisorConfiguration, runsc.toml, flag allow-list and validation.
        .target(
            name: "GVisorConfig",
            dependencies: [
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),

        // A value-type driver for the runsc CLI: options → argv, process runs, JSON decoding.
        .target(name: "Runsc", swiftSettings: strict),

        // nvproxy (GPUs): host discovery, runsc's supported drivers, GPU requests in a spec, the spec rewrite.
        .target(name: "NVProxy", dependencies: ["Runsc"], swiftSettings: strict),

        // The shim: binary lifecycle (start/delete/daemon), task service, processes, IO, reaper, events.
        .target(
            name: "Shim",
            dependencies: ["CShim", "ShimAPI", "TTRPC", "Runsc", "GVisorConfig", "Hardening", "NVProxy", protobuf]
                + nio,
            swiftSettings: strict),
        // C bridges for Linux calls Swift's Glibc module lacks (prctl, ...).
        .target(name: "CShim"),

        // gvisor-node's work: binaries, containerd config (v1-4), runsc.toml, restarts, the doctor's checks.
        .target(
            name: "NodeInstaller",
            dependencies: ["GVisorConfig", "Hardening", "NVProxy", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict),
        // Hardening: libcap capability sets, the shim's seccomp self-confinement, OCI seccomp profile
        // checks. libseccomp and libcap come through module maps and are linked from their static
        // archives (`-l:lib*.a`), so release binaries need neither library on the node.
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp"),
        .systemLibrary(name: "CCap", path: "Sources/CCap"),
        .target(
            name: "Hardening", dependencies: ["CSeccomp", "CCap"], swiftSettings: strict,
            linkerSettings: [.linkedLibrary(":libseccomp.a"), .linkedLibrary(":libcap.a")]),

        .executableTarget(name: "containerd-shim-runsc-v1", dependencies: ["Shim"], swiftSettings: strict),
        .executableTarget(
            name: "gvisor-node",
            dependencies: [
                "GVisorConfig", "NodeInstaller",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        // Reports, not gates: `make bench`, `make fuzz`.
        .executableTarget(
            name: "ttrpc-bench", dependencies: ["TTRPC"] + nio, path: "Benchmarks/ttrpc-bench",
            swiftSettings: strict),
        .executableTarget(
            name: "ttrpc-fuzz", dependencies: ["TTRPC", "ShimAPI"] + nio, path: "Fuzz/ttrpc-fuzz",
            swiftSettings: strict),

        .testTarget(
            name: "TTRPCTests",
            dependencies: [
                "TTRPC", .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ] + nio,
            swiftSettings: strict),
        .testTarget(name: "ShimAPITests", dependencies: ["ShimAPI", "TTRPC"] + nio, swiftSettings: strict),
        .testTarget(name: "GVisorConfigTests", dependencies: ["GVisorConfig"], swiftSettings: strict),
        .testTarget(
            name: "ShimTests",
            dependencies: ["Shim", "ShimAPI", "TTRPC", "GVisorConfig", "NVProxy", "Runsc", protobuf] + nio,
            swiftSettings: strict),
        .testTarget(name: "RunscTests", dependencies: ["Runsc"], swiftSettings: strict),
        .testTarget(
            name: "NodeInstallerTests", dependencies: ["NodeInstaller", "GVisorConfig"],
            exclude: ["Goldens"], swiftSettings: strict),
        // hardening-probe: a test helper that confines or drops capabilities, then runs a check.
        .executableTarget(
            name: "hardening-probe", dependencies: ["Hardening", "CSeccomp", "CCap"], path: "Tests/hardening-probe",
            swiftSettings: strict),
        .testTarget(name: "HardeningTests", dependencies: ["Hardening", "hardening-probe"], swiftSettings: strict),
        .testTarget(
            name: "NVProxyTests", dependencies: ["NVProxy", "Runsc"], exclude: ["Golden"],
            swiftSettings: strict),
    ]
)
