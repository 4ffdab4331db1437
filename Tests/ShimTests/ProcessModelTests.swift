import GVisorConfig
import Glibc
import NIOCore
import NIOPosix
import OCI
import Runsc
import ShimAPI
import TTRPC
import Testing

@testable import Shim

/// One process model for the init and execs (issue 19): the state machine is enforced, illegal steps reach
/// containerd as FailedPrecondition (as runc-v2's `pkg/process` states answer), and exits are awaited, not polled.
struct ProcessModelTests {
    // MARK: State machine

    /// runc-v2's init/exec states: created → running ⇄ paused, any → stopped; Delete only when not running.
    @Test func transitionsFollowContainerdsStateMachine() throws {
        var state = ProcessState(name: "container c1", pid: 7)
        #expect(throws: ProcessState.InvalidTransition(description: "cannot pause a created container")) {
            try state.apply(.pause)
        }
        #expect(throws: ProcessState.InvalidTransition(description: "cannot resume a created container")) {
            try state.apply(.resume)
        }
        try state.check(.delete)
        try state.apply(.start)
        #expect(state.status == .running)
        #expect(throws: ProcessState.InvalidTransition(description: "container c1 is running, not created")) {
            try state.apply(.start)
        }
        #expect(throws: ProcessState.InvalidTransition(description: "cannot delete a running container c1")) {
            try state.check(.delete)
        }
        try state.apply(.pause)
        #expect(state.status == .paused)
        #expect(throws: ProcessState.InvalidTransition(description: "cannot delete a running container c1")) {
            try state.check(.delete)
        }
        try state.apply(.resume)
        let first = state.exited(status: 3, at: .now())
        let second = state.exited(status: 9, at: .now())
        #expect(first && !second, "a second exit report is ignored")
        #expect(state.status == .stopped && state.exitStatus == 3)
        #expect(throws: ProcessState.InvalidTransition(description: "container c1 is stopped, not created")) {
            try state.apply(.start)
        }
        try state.check(.delete)
    }

    @Test func illegalTransitionsAreFailedPrecondition() {
        let status = TTRPCError(mapping: ProcessState.InvalidTransition(description: "exec e1 is running, not created"))
        #expect(status == TTRPCError(.failedPrecondition, "exec e1 is running, not created"))
        #expect(TTRPCError(mapping: ShimError.notFound("process already finished")).code == .notFound)
    }

    // MARK: A container's processes

    actor Topics {
        var topics: [String] = []
        func record(_ topic: String) { topics.append(topic) }
    }

    /// A created container whose runsc is never asked (`/bin/false` would fail any command).
    private func withContainer(_ body: (Container, Topics, EventPublisher, any EventLoop) async throws -> Void)
        async throws
    {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = ShimLog(minimumLevel: .error, fd: -1)
        let topics = Topics()
        let publisher = EventPublisher(namespace: "test", log: log) { await topics.record($0.topic) }
        let io = try ContainerIO(paths: .init(), eventLoop: group.next())
        let container = Container(
            Container.Setup(
                id: try ContainerID("c1"), bundle: "/nonexistent",
                runsc: RunscClient(runsc: Runsc(binary: "/bin/false")),
                isSubcontainer: false, io: io, ioOwner: nil, rootfsMounted: false, pid: 0, pendingConsole: nil,
                oomWatcher: nil, sandbox: nil),
            services: ShimServices(reaper: Reaper(), publisher: publisher, log: log))
        try await body(container, topics, publisher, group.next())
        try await group.shutdownGracefully()
    }

    /// Illegal steps surface instead of being dropped: Pause of a created container, Start of an unknown exec.
    @Test func illegalStepsOnAContainerSurface() async throws {
        try await withContainer { container, _, _, loop in
            await #expect(throws: ProcessState.InvalidTransition(description: "cannot pause a created container")) {
                try await container.pause()
            }
            await #expect(throws: ShimError.notFound("process e1 does not exist")) { try await container.start("e1") }
            await #expect(throws: ShimError.failedPrecondition("cannot exec in a created container c1")) {
                try await container.addExec(id: "e1", spec: .init(), paths: .init(), eventLoop: loop)
            }
        }
    }

    /// The exit is published once, whoever reports it; a Kill afterwards is NotFound, as runc-v2 answers.
    @Test func anExitIsRecordedAndPublishedOnce() async throws {
        try await withContainer { container, topics, publisher, _ in
            await container.exited("", status: 3)
            await container.exited("", status: 9)
            let state = try await container.wait("")
            #expect(state.status == .stopped && state.exitStatus == 3)
            await publisher.flush()
            #expect(await topics.topics == ["/tasks/exit"])
            await #expect(throws: ShimError.notFound("process already finished")) {
                try await container.kill("", signal: 15, all: false)
            }
        }
    }

    /// A bounded wait for the sandbox's exit ends when the exit is recorded (no polling), or at its limit.
    @Test func boundedWaitEndsAtTheExitOrAtItsLimit() async throws {
        try await withContainer { container, _, _, _ in
            let clock = ContinuousClock()
            let start = clock.now
            #expect(await container.initExit(within: .milliseconds(50)) == nil)
            #expect(clock.now - start >= .milliseconds(50))
            let waiter = Task { await container.initExit(within: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(20))
            let exitedAt = clock.now
            await container.exited("", status: 137)
            let state = await waiter.value
            #expect(state?.exitStatus == 137)
            #expect(clock.now - exitedAt < .seconds(5))
        }
    }

    /// Deleting a created container records its exit (137) and wakes a Wait that was pending on it.
    @Test func deleteOfACreatedContainerWakesItsWaiters() async throws {
        try await withContainer { container, _, _, _ in
            let waiter = Task { try await container.wait("") }
            try await Task.sleep(for: .milliseconds(20))
            let deleted = try await container.delete("")
            #expect(deleted.status == .stopped && deleted.exitStatus == 137)
            #expect(try await waiter.value.exitStatus == 137)
        }
    }
}
