import Glibc
import HostOS
import ShimAPI
import SwiftProtobuf
import TTRPC
import Testing

@testable import Shim

/// `start` answers in the form each containerd version reads.
struct ShimStartTests {
    private func start(stdin: [UInt8] = [], environment: [String: String] = [:]) throws -> ShimStart {
        var flags = ShimFlags()
        flags.namespace = "k8s.io"
        flags.id = "abc"
        flags.address = "/run/containerd/containerd.sock"
        return ShimStart(flags: flags, bundle: "/nonexistent", stdin: stdin, environment: environment)
    }

    private let address = SocketAddress(path: "/run/containerd/s/x")

    @Test func containerd16GetsTheBareAddress() throws {
        #expect(try start().answer(address: address) == Array("unix:///run/containerd/s/x".utf8))
    }

    @Test func containerd17GetsJSON() throws {
        let answer = try start(environment: ["MAX_SHIM_VERSION": "2"]).answer(address: address)
        #expect(
            String(decoding: answer, as: UTF8.self)
                == #"{"version":2,"address":"unix:///run/containerd/s/x","protocol":"ttrpc"}"#)
    }

    @Test func containerd23GetsABootstrapResult() throws {
        var params = Containerd_Runtime_Bootstrap_V1_BootstrapParams()
        params.instanceID = "abc"
        params.namespace = "k8s.io"
        let answer = try start(stdin: try params.serializedBytes(), environment: ["MAX_SHIM_VERSION": "2"])
            .answer(address: address)
        let result = try Containerd_Runtime_Bootstrap_V1_BootstrapResult(serializedBytes: answer)
        #expect(result.version == 2)
        #expect(result.address == "unix:///run/containerd/s/x")
        #expect(result.protocol == "ttrpc")
    }

    @Test func runtimeOptionsOnStdinAreNotMistakenForBootstrapParams() throws {
        var options = Runtimeoptions_V1_Options()
        options.configPath = "/etc/containerd/runsc.toml"
        let any = try TypeURL.pack(options)
        let answer = try start(stdin: try any.serializedBytes()).answer(address: address)
        #expect(answer == Array("unix:///run/containerd/s/x".utf8))
    }

    /// `address` and `shim.pid` are replaced by a rename (containerd never reads half a file), without the fsync that
    /// cost 8-38 ms of `start` on a disk-backed state directory (issue 21).
    @Test func addressAndPidFilesAreReplacedWholeWithNothingLeftBeside() throws {
        let base = String(cString: mkdtemp(strdup("/tmp/shim-start-test.XXXXXX")))
        defer {
            for name in ((try? Directory.entries(base)) ?? []) { unlink("\(base)/\(name)") }
            rmdir(base)
        }
        let previousUmask = umask(0o077)
        defer { umask(previousUmask) }
        try ShimStart.replace("\(base)/address", with: "unix:///run/containerd/s/old")
        try ShimStart.replace("\(base)/address", with: "unix:///run/containerd/s/new")
        #expect((try? HostFile.read("\(base)/address")) == Array("unix:///run/containerd/s/new".utf8))
        var info = stat()
        #expect(stat("\(base)/address", &info) == 0 && info.st_mode & 0o777 == 0o644)
        #expect((try? Directory.entries(base)) == ["address"])
        #expect(throws: (any Error).self) { try ShimStart.replace("\(base)/missing/address", with: "x") }
    }

    @Test func missingNamespaceIsRefused() {
        var flags = ShimFlags()
        flags.id = "abc"
        flags.address = "/a"
        #expect(throws: ShimStart.Failure.self) {
            _ = try ShimStart(flags: flags, bundle: "/nonexistent", stdin: [], environment: [:]).run { _, _ in 0 }
        }
    }
}

/// Events leave in order, survive a failed forward, and are never lost silently.
struct EventPublisherTests {
    actor Received {
        var topics: [String] = []
        var failuresLeft = 1
        func fail(times: Int) { failuresLeft = times }
        func record(_ topic: String) throws {
            if failuresLeft > 0 {
                failuresLeft -= 1
                throw TestFailure()
            }
            topics.append(topic)
        }
    }

    struct TestFailure: Error {}

    @Test func ordersAndRetries() async {
        let received = Received()
        var policy = EventPublisher.Policy()
        policy.backoff = .milliseconds(1)
        let publisher = EventPublisher(namespace: "ns", policy: policy, log: ShimLog(minimumLevel: .error, fd: -1)) {
            envelope in
            #expect(envelope.namespace == "ns")
            #expect(!envelope.event.typeURL.contains("/"))
            try await received.record(envelope.topic)
        }
        await publisher.publish(Containerd_Events_TaskCreate.with { $0.containerID = "c" })
        await publisher.publish(Containerd_Events_TaskStart.with { $0.containerID = "c" })
        await publisher.publish(Containerd_Events_TaskExit.with { $0.containerID = "c" })
        await publisher.flush()
        #expect(await received.topics == ["/tasks/create", "/tasks/start", "/tasks/exit"])
        #expect(await publisher.dropped == 0)
    }

    @Test func boundedQueueDropsTheOldest() async {
        var policy = EventPublisher.Policy()
        policy.capacity = 2
        let publisher = EventPublisher(namespace: "ns", policy: policy, log: ShimLog(minimumLevel: .error, fd: -1)) {
            _ in try await Task.sleep(for: .milliseconds(50))
        }
        for _ in 0..<5 { await publisher.publish(Containerd_Events_TaskOOM.with { $0.containerID = "c" }) }
        await publisher.flush()
        #expect(await publisher.dropped >= 2)
        #expect(await publisher.forwarded + publisher.dropped == 5)
    }

    /// containerd away for a restart: every forward fails for a while (here 40 attempts, far more than a
    /// fixed retry count would allow), then succeeds; nothing is dropped and the order holds.
    @Test func outageLongerThanAnyRetryCountLosesNothing() async {
        let received = Received()
        await received.fail(times: 40)
        var policy = EventPublisher.Policy()
        policy.backoff = .milliseconds(1)
        policy.maxBackoff = .milliseconds(2)
        let publisher = EventPublisher(namespace: "ns", policy: policy, log: ShimLog(minimumLevel: .error, fd: -1)) {
            envelope in try await received.record(envelope.topic)
        }
        await publisher.publish(Containerd_Events_TaskStart.with { $0.containerID = "c" })
        await publisher.publish(Containerd_Events_TaskExit.with { $0.containerID = "c" })
        while await received.topics.count < 2 { try? await Task.sleep(for: .milliseconds(5)) }
        #expect(await received.topics == ["/tasks/start", "/tasks/exit"])
        #expect(await publisher.dropped == 0)
        #expect(await publisher.failedAttempts == 40)
    }

    /// An event containerd refuses is dropped after a few attempts and does not hold up the next one.
    @Test func refusedEventIsDroppedAndTheQueueMovesOn() async {
        let received = Received()
        await received.fail(times: 0)
        var policy = EventPublisher.Policy()
        policy.backoff = .milliseconds(1)
        let publisher = EventPublisher(namespace: "ns", policy: policy, log: ShimLog(minimumLevel: .error, fd: -1)) {
            envelope in
            if envelope.topic == "/tasks/oom" { throw TTRPCError.invalidArgument("bad event") }
            try await received.record(envelope.topic)
        }
        await publisher.publish(Containerd_Events_TaskOOM.with { $0.containerID = "c" })
        await publisher.publish(Containerd_Events_TaskExit.with { $0.containerID = "c" })
        await publisher.flush()
        #expect(await received.topics == ["/tasks/exit"])
        #expect(await publisher.dropped == 1)
        #expect(await publisher.failedAttempts == 3)
    }

    /// At shutdown with containerd gone for good, flush gives up after its deadline instead of hanging.
    @Test func flushGivesUpAfterItsDeadline() async {
        var policy = EventPublisher.Policy()
        policy.backoff = .milliseconds(1)
        policy.maxBackoff = .milliseconds(5)
        policy.flushDeadline = .milliseconds(100)
        let publisher = EventPublisher(namespace: "ns", policy: policy, log: ShimLog(minimumLevel: .error, fd: -1)) {
            _ in throw TestFailure()
        }
        await publisher.publish(Containerd_Events_TaskExit.with { $0.containerID = "c" })
        await publisher.publish(Containerd_Events_TaskDelete.with { $0.containerID = "c" })
        let started = ContinuousClock.now
        await publisher.flush()
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(await publisher.dropped == 2)
        #expect(await publisher.forwarded == 0)
    }
}
