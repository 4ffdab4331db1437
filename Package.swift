// swift-tools-version: 6.2
// The gVisor runtime for containerd and Kubernetes (Gardener), in Swift.
// Module map: README.md, section "Architecture".

import PackageDescription

/// Every target of ours builds with warnings as errors; dependencies keep their own settings.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]
/// The modules the shim links: a member resolves only through a module the file imports itself, so an API of
/// Foundation (which TOMLKit imports) cannot bind silently and link Foundation and ICU (~90 MB) into the shim.
let shimStrict: [SwiftSetting] = strict + [.enableUpcomingFeature("MemberImportVisibility")]

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let protobuf: Target.Dependency = .product(name: "SwiftProtobuf", package: "swift-protobuf")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

let package = Package(
    name: "gvisor-runtime",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TTRPC", targets: ["TTRPC"]),
        .library(name: "ShimAPI", targets: ["ShimAPI"]),
        .library(name: "GVisorConfig", targets: ["GVisorConfig"]),
        .library(name: "GVisorConfigYAML", targets: ["GVisorConfigYAML"]),
        .library(name: "Runsc", targets: ["Runsc"]),
        .library(name: "NodeInstaller", targets: ["NodeInstaller"]),
        .library(name: "NVProxy", targets: ["NVProxy"]),
        .library(name: "Hardening", targets: ["Hardening"]),
        .executable(name: "containerd-shim-runsc-v1", targets: ["containerd-shim-runsc-v1"]),
        .executable(name: "gvisor-node", targets: ["gvisor-node"]),
        // Gardener extension controller (issue 8).
        .library(name: "Kubernetes", targets: ["Kubernetes"]),
        .library(name: "Controller", targets: ["Controller"]),
        .executable(name: "gardener-extension-runtime-gvisor", targets: ["gardener-extension-runtime-gvisor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Logging API only (no Foundation); the handlers are ours: logfmt for the shim, JSON for the controller.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // Controller only (Kubernetes API over HTTPS); the shim and gvisor-node do not link it.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
    ],
    targets: [
        // ttrpc framing, server and client over unix sockets; nothing containerd-specific.
        .target(
            name: "TTRPC", dependencies: nio + [protobuf], exclude: ["Protos"], swiftSettings: shimStrict),
        // containerd shim API messages (generated, `make protos`) and the Task service glue.
        .target(
            name: "ShimAPI", dependencies: ["TTRPC", protobuf], exclude: ["Protos"], swiftSettings: shimStrict),
        // The host-OS layer shared by every library: whole-file reads, atomic writes, directory listing, stat checks,
        // one spawn, one wait-status decoder, signals as descriptors; Glibc and CShim only (no Foundation).
        .target(name: "HostOS", dependencies: ["CShim"], swiftSettings: shimStrict),

        // GVisorConfiguration, runsc.toml, flag allow-list and validation. The shim links it: no Foundation.
        .target(
            name: "GVisorConfig", dependencies: ["HostOS", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: shimStrict),
        // GVisorConfiguration as YAML/JSON documents, for the controller and gvisor-node only: Yams brings
        // Foundation and its ICU data (~40 MB), which the shim must not link.
        .target(
            name: "GVisorConfigYAML",
            dependencies: ["GVisorConfig", "HostOS", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),

        // A value-type driver for the runsc CLI: options → argv, process runs, JSON decoding.
        .target(name: "Runsc", dependencies: ["HostOS"], swiftSettings: shimStrict),

        // nvproxy (GPUs): host discovery, runsc's supported drivers, GPU requests in a spec, the spec rewrite.
        // SHA-256 for the shim's socket names and the controller's checksum names; no crypto library.
        .target(name: "Checksum", swiftSettings: shimStrict),
        // OCI documents as data: a schema-free JSON value that rewrites keep whole.
        .target(name: "OCI", swiftSettings: shimStrict),
        .target(name: "NVProxy", dependencies: ["HostOS", "OCI", "Runsc"], swiftSettings: shimStrict),

        // The shim: binary lifecycle (start/delete/daemon), task service, processes, IO, reaper, events.
        .target(
            name: "Shim",
            dependencies: [
                "CShim", "ShimAPI", "TTRPC", "Runsc", "GVisorConfig", "NVProxy", "OCI", "Hardening", "Checksum",
                "HostOS", protobuf, logging,
            ] + nio,
            swiftSettings: shimStrict),
        // C bridges for Linux calls Swift's Glibc module lacks (prctl, ...).
        .target(name: "CShim"),

        // gvisor-node's work: binaries, containerd config (v1-4), runsc.toml, restarts, the doctor's checks.
        .target(
            name: "NodeInstaller",
            dependencies: [
                "GVisorConfig", "Hardening", "HostOS", "NVProxy", .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strict),
        // Hardening: libcap capability sets, the shim's seccomp self-confinement, OCI seccomp profile
        // checks. libseccomp and libcap come through module maps and are linked from their static
        // archives (`-l:lib*.a`), so release binaries need neither library on the node.
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp"),
        .systemLibrary(name: "CCap", path: "Sources/CCap"),
        .target(
            name: "Hardening", dependencies: ["CSeccomp", "CCap", "HostOS", "OCI"], swiftSettings: shimStrict,
            linkerSettings: [.linkedLibrary(":libseccomp.a"), .linkedLibrary(":libcap.a")]),

        .executableTarget(name: "containerd-shim-runsc-v1", dependencies: ["Shim"], swiftSettings: shimStrict),
        .executableTarget(
            name: "gvisor-node",
            dependencies: [
                "GVisorConfig", "GVisorConfigYAML", "HostOS", "NodeInstaller",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        // Reports, not gates: `make bench`, `make fuzz`.
        .executableTarget(
            name: "ttrpc-bench", dependencies: ["TTRPC"] + nio, path: "Benchmarks/ttrpc-bench",
            swiftSettings: strict),
        .executableTarget(
            name: "shim-state-bench", dependencies: ["ShimAPI", "TTRPC"], path: "Benchmarks/shim-state-bench",
            swiftSettings: strict),
        // libFuzzer's driver or a replay of inputs, shared by every fuzz target.
        .target(name: "FuzzSupport", path: "Fuzz/FuzzSupport", swiftSettings: strict),
        .executableTarget(
            name: "ttrpc-fuzz", dependencies: ["FuzzSupport", "TTRPC", "ShimAPI"] + nio, path: "Fuzz/ttrpc-fuzz",
            swiftSettings: strict),
        // The configuration parsers under libFuzzer (issue 11): runsc.toml and GVisorConfiguration documents.
        .executableTarget(
            name: "runsc-toml-fuzz", dependencies: ["FuzzSupport", "GVisorConfig"], path: "Fuzz/runsc-toml-fuzz",
            swiftSettings: strict),
        .executableTarget(
            name: "gvisor-config-fuzz", dependencies: ["FuzzSupport", "GVisorConfig", "GVisorConfigYAML"],
            path: "Fuzz/gvisor-config-fuzz", swiftSettings: strict),
        // gvisor-node's containerd config.toml editor, which must never abort on a node's file (issue 17).
        .executableTarget(
            name: "containerd-config-fuzz", dependencies: ["FuzzSupport", "NodeInstaller"],
            path: "Fuzz/containerd-config-fuzz", swiftSettings: strict),

        .testTarget(
            name: "TTRPCTests",
            dependencies: [
                "TTRPC", .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ] + nio,
            swiftSettings: strict),
        .testTarget(name: "ShimAPITests", dependencies: ["ShimAPI", "TTRPC"] + nio, swiftSettings: strict),
        .testTarget(name: "HostOSTests", dependencies: ["HostOS"], swiftSettings: strict),
        .testTarget(
            name: "GVisorConfigTests", dependencies: ["GVisorConfig", "GVisorConfigYAML", "HostOS"],
            swiftSettings: strict),
        .testTarget(
            name: "ShimTests",
            dependencies: [
                "Shim", "ShimAPI", "TTRPC", "GVisorConfig", "HostOS", "NVProxy", "OCI", "Runsc", "Checksum", protobuf,
                logging,
            ] + nio,
            swiftSettings: strict),
        .testTarget(name: "RunscTests", dependencies: ["Runsc"], swiftSettings: strict),
        .testTarget(
            name: "NodeInstallerTests", dependencies: ["NodeInstaller", "GVisorConfig"],
            exclude: ["Goldens"], swiftSettings: strict),
        // hardening-probe: a test helper that confines or drops capabilities, then runs a check.
        .executableTarget(
            name: "hardening-probe", dependencies: ["Hardening", "CSeccomp", "CCap"], path: "Tests/hardening-probe",
            swiftSettings: strict),
        .testTarget(
            name: "HardeningTests", dependencies: ["Hardening", "OCI", "hardening-probe"], exclude: ["Measured"],
            swiftSettings: strict),
        .testTarget(
            name: "NVProxyTests", dependencies: ["NVProxy", "OCI", "Runsc"], exclude: ["Golden"],
            swiftSettings: strict),

        // Gardener extension controller (issue 8): Kubernetes client, actuator, runtime, executable, bench.
        .target(
            name: "Kubernetes",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"), "OCI",
            ] + nio,
            swiftSettings: strict),
        // The in-memory API server stand-in (object store, typed API over it) for tests, the chart test and the
        // controller benchmark; not linked into the shipped controller.
        .target(name: "KubernetesTesting", dependencies: ["Kubernetes"], swiftSettings: strict),
        .target(
            name: "Controller",
            dependencies: [
                "Kubernetes", "GVisorConfig", "GVisorConfigYAML", "Checksum", logging,
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ] + nio,
            swiftSettings: strict),
        .executableTarget(
            name: "gardener-extension-runtime-gvisor",
            dependencies: [
                "Controller", "Kubernetes", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "controller-bench", dependencies: ["Controller", "Kubernetes", "KubernetesTesting"],
            path: "Benchmarks/controller-bench",
            swiftSettings: strict),
        .testTarget(
            name: "KubernetesTests",
            dependencies: [
                "Kubernetes", "KubernetesTesting", .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ] + nio,
            swiftSettings: strict),
        .testTarget(
            name: "ControllerTests",
            dependencies: [
                "Controller", "Kubernetes", "KubernetesTesting", "GVisorConfig", "GVisorConfigYAML", logging,
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ] + nio,
            swiftSettings: strict),
    ]
)
