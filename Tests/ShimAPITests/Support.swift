import Foundation
import NIOCore
import NIOPosix
import ShimAPI
import TTRPC

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A private directory removed with everything in it when `body` returns.
func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
    var template = Array("/tmp/shimapi-test-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp: errno \(errno)") }
    let path = String(cString: made)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Runs `body` with a TTRPC server for `registry` and a client connected to it.
func withServerAndClient<R>(
    _ registry: TTRPCServiceRegistry, _ body: (TTRPCClient) async throws -> R
) async throws -> R {
    try await withTemporaryDirectory { directory in
        let group = TTRPCEventLoopGroup.make()
        let path = directory + "/shim.sock"
        let server = try await TTRPCServer.bind(unixDomainSocketPath: path, registry: registry, group: group)
        let client = TTRPCClient(unixDomainSocketPath: path, group: group)
        let result: Result<R, any Error>
        do {
            result = .success(try await body(client))
        } catch {
            result = .failure(error)
        }
        await client.close()
        await server.close()
        try await group.shutdownGracefully()
        return try result.get()
    }
}

/// Records values from concurrent code.
actor Recorder<Value: Sendable> {
    private(set) var values: [Value] = []

    func record(_ value: Value) {
        values.append(value)
    }
}

/// A process started as a direct child of the test, stopped by PID.
final class ChildProcess {
    let process = Process()
    let outputPath: String

    /// Starts `executable` with `arguments`, stdout and stderr going to `outputPath`.
    init(_ executable: String, _ arguments: [String], outputPath: String) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("\(executable) is not installed; this test needs it (Debian package)")
        }
        self.outputPath = outputPath
        guard FileManager.default.createFile(atPath: outputPath, contents: nil) else {
            throw TestFailure("cannot create \(outputPath)")
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try output.close()
    }

    var pid: pid_t { process.processIdentifier }

    /// What the process wrote so far.
    var output: String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    /// SIGTERM, then SIGKILL if it is still running after `grace`; waits until it is gone.
    func stop(grace: Duration = .seconds(5)) async {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if process.isRunning {
            kill(pid, SIGKILL)
            while process.isRunning {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}

/// A containerd of our own: config, root, state and sockets in a temporary directory, CRI disabled.
struct PrivateContainerd {
    let base: String
    var grpcAddress: String { base + "/containerd.sock" }
    var ttrpcAddress: String { base + "/containerd.sock.ttrpc" }

    /// Starts containerd, runs `body`, stops containerd by PID and removes the directory.
    static func with<R>(_ body: (PrivateContainerd, ChildProcess) async throws -> R) async throws -> R {
        try await withTemporaryDirectory { base in
            let containerd = PrivateContainerd(base: base)
            let config = """
                version = 2
                root = "\(base)/root"
                state = "\(base)/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri"]

                [grpc]
                  address = "\(containerd.grpcAddress)"
                [ttrpc]
                  address = "\(containerd.ttrpcAddress)"
                [debug]
                  level = "debug"
                [plugins]
                  [plugins."io.containerd.internal.v1.opt"]
                    path = "\(base)/opt"
                """
            try config.write(toFile: base + "/config.toml", atomically: true, encoding: .utf8)
            let process = try ChildProcess(
                "/usr/bin/containerd", ["--config", base + "/config.toml"], outputPath: base + "/containerd.log")
            do {
                try await containerd.waitUntilServing(process)
                let result = try await body(containerd, process)
                await process.stop()
                return result
            } catch {
                await process.stop()
                throw error
            }
        }
    }

    private func waitUntilServing(_ process: ChildProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard process.process.isRunning else {
                throw TestFailure("containerd exited early:\n\(process.output)")
            }
            if FileManager.default.fileExists(atPath: ttrpcAddress), FileManager.default.fileExists(atPath: grpcAddress)
            {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("containerd did not serve \(ttrpcAddress) within 20 s:\n\(process.output)")
    }
}
