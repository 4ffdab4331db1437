// Unary round-trip latency and throughput of TTRPC over a unix socket, server and clients in this process.
//
//   ttrpc-bench [--calls N] [--connections N] [--payload BYTES] [--client-threads N] [--shared-loop]
//
// The server always runs on a one-thread event loop group, as a shim does; clients get their own group, or share
// the server's with --shared-loop (no cross-thread wake-ups at all: the stack's own cost). Each scenario runs with
// callers on Swift's task pool or on their client's event loop (`TTRPCClient.taskExecutor`), and with handlers on
// the task pool (the server's default) or on the event loop: every thread hop costs a wake-up, which dominates
// latency on small VMs.

import NIOCore
import NIOPosix
import TTRPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct Options {
    var calls = 20_000
    var connections = 16
    var payload = 64
    var clientThreads = 1
    var sharedLoop = false

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            if flag == "--shared-loop" {
                sharedLoop = true
                continue
            }
            guard let value = iterator.next().flatMap(Int.init), value > 0 else {
                throw BenchError("\(flag) needs a positive integer")
            }
            switch flag {
            case "--calls": calls = value
            case "--connections": connections = value
            case "--payload": payload = value
            case "--client-threads": clientThreads = value
            default: throw BenchError("unknown flag \(flag); known: --calls --connections --payload --client-threads")
            }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Result {
    var scenario: String
    var execution: TTRPCServer.HandlerExecution
    var callerOnLoop: Bool
    var latencies: [Duration]
    var elapsed: Duration

    func percentile(_ p: Double) -> Double {
        let sorted = latencies.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
        return microseconds(sorted[max(0, index)])
    }

    var callsPerSecond: Double {
        Double(latencies.count) / (microseconds(elapsed) / 1_000_000)
    }
}

func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1_000_000 + Double(duration.components.attoseconds) / 1_000_000_000_000
}

/// `count` sequential calls on `client`, each timed.
func sequentialCalls(_ client: TTRPCClient, count: Int, payload: Data) async throws -> [Duration] {
    var latencies: [Duration] = []
    latencies.reserveCapacity(count)
    let clock = ContinuousClock()
    for _ in 0..<count {
        let start = clock.now
        let answer = try await client.call(service: "bench.Echo", method: "Echo", payload: payload)
        latencies.append(clock.now - start)
        guard answer.count == payload.count else { throw BenchError("wrong answer size \(answer.count)") }
    }
    return latencies
}

func run(
    execution: TTRPCServer.HandlerExecution, callerOnLoop: Bool, connections: Int, options: Options,
    directory: String
) async throws -> Result {
    var registry = TTRPCServiceRegistry()
    registry.register(service: "bench.Echo", method: "Echo") { payload, _ in payload }
    var configuration = TTRPCServer.Configuration()
    configuration.handlerExecution = execution
    let serverGroup = TTRPCEventLoopGroup.make(numberOfThreads: 1)
    let clientGroup =
        options.sharedLoop ? serverGroup : TTRPCEventLoopGroup.make(numberOfThreads: options.clientThreads)
    let path = directory + "/bench-\(connections).sock"
    let server = try await TTRPCServer.bind(
        unixDomainSocketPath: path, registry: registry, group: serverGroup, configuration: configuration)
    let clients = (0..<connections).map { _ in TTRPCClient(unixDomainSocketPath: path, group: clientGroup) }
    let payload = Data((0..<options.payload).map { UInt8(truncatingIfNeeded: $0) })
    let perClient = max(1, options.calls / connections)

    // Warm up: connect and run a few calls on every connection.
    for client in clients {
        _ = try await sequentialCalls(client, count: min(500, perClient), payload: payload)
    }
    let start = ContinuousClock.now
    let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
        for client in clients {
            if callerOnLoop {
                group.addTask(executorPreference: client.taskExecutor) {
                    try await sequentialCalls(client, count: perClient, payload: payload)
                }
            } else {
                group.addTask { try await sequentialCalls(client, count: perClient, payload: payload) }
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
    let elapsed = ContinuousClock.now - start

    for client in clients { await client.close() }
    await server.close()
    if !options.sharedLoop {
        try await clientGroup.shutdownGracefully()
    }
    try await serverGroup.shutdownGracefully()
    let scenario = connections == 1 ? "1 connection, sequential" : "\(connections) connections, concurrent"
    return Result(
        scenario: scenario, execution: execution, callerOnLoop: callerOnLoop, latencies: latencies, elapsed: elapsed)
}

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}

func format(_ value: Double, decimals: Int = 1) -> String {
    let scale = pow(10, Double(decimals))
    let rounded = (value * scale).rounded() / scale
    return decimals == 0 ? String(Int(rounded)) : String(rounded)
}

let options: Options
do {
    options = try Options(Array(CommandLine.arguments.dropFirst()))
} catch {
    print("ttrpc-bench: \(error)")
    exit(2)
}

var template = Array("/tmp/ttrpc-bench-XXXXXX".utf8CString)
guard let made = mkdtemp(&template) else {
    print("ttrpc-bench: mkdtemp failed")
    exit(1)
}
let directory = String(cString: made)
defer { try? FileManager.default.removeItem(atPath: directory) }

var results: [Result] = []
for connections in [1, options.connections] {
    for callerOnLoop in [false, true] {
        for execution in [TTRPCServer.HandlerExecution.concurrent, .eventLoop] {
            results.append(
                try await run(
                    execution: execution, callerOnLoop: callerOnLoop, connections: connections, options: options,
                    directory: directory))
        }
    }
}

print(
    "ttrpc unary echo, \(options.payload)-byte payload, \(options.calls) calls per row, 1-thread server event loop, "
        + (options.sharedLoop ? "clients on the same loop" : "\(options.clientThreads)-thread client event loop")
        + ", \(ProcessInfo.processInfo.activeProcessorCount) CPUs")
let header = [
    pad("scenario", 28), pad("callers on", 12), pad("handlers on", 12), pad("p50 µs", 8, right: true),
    pad("p99 µs", 8, right: true), pad("calls/s", 10, right: true),
]
print(header.joined(separator: "  "))
for result in results {
    print(
        [
            pad(result.scenario, 28), pad(result.callerOnLoop ? "client loop" : "task pool", 12),
            pad(result.execution == .concurrent ? "task pool" : "event loop", 12),
            pad(format(result.percentile(0.50)), 8, right: true), pad(format(result.percentile(0.99)), 8, right: true),
            pad(format(result.callsPerSecond, decimals: 0), 10, right: true),
        ].joined(separator: "  "))
}
