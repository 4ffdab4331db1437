// Latency of containerd.task.v2.Task/State through running shims, one client for all of them.
//
//   shim-state-bench --target LABEL=ADDRESS@ID [--target ...] [--service LABEL=SERVICE] [--namespace NS]
//                    [--calls N] [--rounds N]
//
// ADDRESS is a shim's socket: `unix:///run/containerd/s/...`, a plain path, or a bundle directory whose `address`
// file names it. ID is the container's id. Each round makes calls/rounds sequential calls on every target in turn,
// so targets share whatever else the machine is doing; the first target's p50 is the baseline of the ratios.
// Calls run on the client's event loop (one thread hop less per call, the same for every target) and carry the
// namespace as containerd sends it (`containerd-namespace-ttrpc`).

import ShimAPI
import TTRPC

#if canImport(Glibc)
    import Glibc
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Target {
    var label: String
    var socketPath: String
    var id: String
    /// The task service to call: containerd 2.x's runc-v2 shim (bootstrap version 3) serves only
    /// `containerd.task.v3.Task`, whose State messages are v2's.
    var service = TaskMethods.service

    /// Parses `LABEL=ADDRESS@ID`.
    init(parsing text: String) throws {
        guard let equals = text.firstIndex(of: "="), let at = text.lastIndex(of: "@"), equals < at else {
            throw BenchError("--target '\(text)': expected LABEL=ADDRESS@ID")
        }
        label = String(text[..<equals])
        id = String(text[text.index(after: at)...])
        socketPath = try Target.socketPath(String(text[text.index(after: equals)..<at]))
        guard !label.isEmpty, !id.isEmpty else { throw BenchError("--target '\(text)': empty label or id") }
    }

    /// A socket path from an address, a path, or a bundle directory holding an `address` file.
    static func socketPath(_ address: String) throws -> String {
        if !address.hasPrefix("unix://"), FileManager.default.fileExists(atPath: address + "/address") {
            let file = address + "/address"
            guard let data = FileManager.default.contents(atPath: file),
                let text = String(data: data, encoding: .utf8)
            else { throw BenchError("\(file): cannot read the shim's address (expected unix://PATH)") }
            return try socketPath(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if address.hasPrefix("unix://") { return String(address.dropFirst("unix://".count)) }
        guard address.hasPrefix("/") else {
            throw BenchError("address '\(address)': expected unix://PATH, an absolute path or a bundle directory")
        }
        return address
    }
}

struct Options {
    var targets: [Target] = []
    var namespace = "default"
    var calls = 2_000
    var rounds = 10

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value") }
            switch flag {
            case "--target": targets.append(try Target(parsing: value))
            case "--service":
                guard let equals = value.firstIndex(of: "="),
                    let index = targets.firstIndex(where: { $0.label == value[..<equals] })
                else { throw BenchError("--service '\(value)': expected LABEL=SERVICE after that label's --target") }
                targets[index].service = String(value[value.index(after: equals)...])
            case "--namespace": namespace = value
            case "--calls", "--rounds":
                guard let number = Int(value), number > 0 else { throw BenchError("\(flag) needs a positive integer") }
                if flag == "--calls" { calls = number } else { rounds = number }
            default: throw BenchError("unknown flag \(flag); known: --target --service --namespace --calls --rounds")
            }
        }
        guard !targets.isEmpty else { throw BenchError("no --target given") }
    }
}

func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1_000_000 + Double(duration.components.attoseconds) / 1_000_000_000_000
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
    return sorted[max(0, index)]
}

func format(_ value: Double, decimals: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    return String((value * scale).rounded() / scale)
}

func pad(_ text: String, _ width: Int, right: Bool = true) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}

/// `count` sequential State calls for `id`, each timed; fails on an answer for another container.
func stateCalls(_ client: TTRPCClient, _ target: Target, count: Int, metadata: TTRPCMetadata) async throws
    -> [Double]
{
    let id = target.id
    let method = TTRPCMethod<Containerd_Task_V2_StateRequest, Containerd_Task_V2_StateResponse>(
        service: target.service, method: "State")
    var request = Containerd_Task_V2_StateRequest()
    request.id = id
    var latencies: [Double] = []
    latencies.reserveCapacity(count)
    let clock = ContinuousClock()
    for _ in 0..<count {
        let start = clock.now
        let answer = try await client.call(method, request, metadata: metadata)
        latencies.append(microseconds(clock.now - start))
        guard answer.id == id else { throw BenchError("State(\(id)) answered for '\(answer.id)'") }
    }
    return latencies
}

func run(_ options: Options) async throws {
    let group = TTRPCEventLoopGroup.make(numberOfThreads: 1)
    let clients = options.targets.map { TTRPCClient(unixDomainSocketPath: $0.socketPath, group: group) }
    let metadata = ContainerdMetadata.namespace(options.namespace)
    let perRound = max(1, options.calls / options.rounds)
    var latencies = Array(repeating: [Double](), count: clients.count)
    for (index, client) in clients.enumerated() {
        do {
            _ = try await stateCalls(client, options.targets[index], count: 50, metadata: metadata)
        } catch {
            throw BenchError("\(options.targets[index].label) (\(client.socketPath)): \(error)")
        }
    }
    for _ in 0..<options.rounds {
        for (index, client) in clients.enumerated() {
            latencies[index] += try await withTaskExecutorPreference(client.taskExecutor) {
                try await stateCalls(client, options.targets[index], count: perRound, metadata: metadata)
            }
        }
    }
    for client in clients { await client.close() }
    try await group.shutdownGracefully()

    print("Task/State, \(perRound * options.rounds) sequential calls per shim in \(options.rounds) interleaved rounds")
    print(
        [pad("shim", 24, right: false), pad("p50 µs", 9), pad("p90 µs", 9), pad("p99 µs", 9), pad("p50 ratio", 10)]
            .joined(separator: "  "))
    let baseline = percentile(latencies[0].sorted(), 0.5)
    for (index, target) in options.targets.enumerated() {
        let sorted = latencies[index].sorted()
        let p50 = percentile(sorted, 0.5)
        print(
            [
                pad(target.label, 24, right: false), pad(format(percentile(sorted, 0.5)), 9),
                pad(format(percentile(sorted, 0.9)), 9), pad(format(percentile(sorted, 0.99)), 9),
                pad(format(p50 / baseline, decimals: 2), 10),
            ].joined(separator: "  "))
    }
}

do {
    try await run(try Options(Array(CommandLine.arguments.dropFirst())))
} catch {
    print("shim-state-bench: \(error)")
    exit(1)
}
