import Foundation
import Kubernetes
import KubernetesTesting
import Testing

@Suite(.timeLimit(.minutes(2))) struct LeaderElectionTests {
    func configuration(_ identity: String, leaseDuration: Duration = .seconds(15)) -> LeaderElection.Configuration {
        LeaderElection.Configuration(
            namespace: "garden", name: "runtime-gvisor-leader-election", identity: identity,
            leaseDuration: leaseDuration, renewDeadline: .milliseconds(200), retryPeriod: .milliseconds(20))
    }

    @Test func oneLeaderAtATimeAndHandOverOnRelease() async throws {
        try await ClientTests.withClient { _, client in
            let a = LeaderElection(api: client, configuration: configuration("a"))
            let b = LeaderElection(api: client, configuration: configuration("b"))
            #expect(try await a.tryAcquireOrRenew())
            #expect(try await !b.tryAcquireOrRenew())
            #expect(try await a.tryAcquireOrRenew())  // renew
            let lease = try await client.get(Lease.self, namespace: "garden", name: "runtime-gvisor-leader-election")
            #expect(lease.spec.holderIdentity == "a")
            #expect(lease.spec.leaseDurationSeconds == 15)
            #expect(lease.spec.renewTime?.hasSuffix("Z") == true)

            await a.release()
            #expect(try await b.tryAcquireOrRenew())
            let taken = try await client.get(Lease.self, namespace: "garden", name: "runtime-gvisor-leader-election")
            #expect(taken.spec.holderIdentity == "b")
            #expect(taken.spec.leaseTransitions == 1)
        }
    }

    @Test func anExpiredLeaseIsTakenOverAndTheOldLeaderNotices() async throws {
        try await ClientTests.withClient { _, client in
            let a = LeaderElection(api: client, configuration: configuration("a", leaseDuration: .milliseconds(300)))
            let b = LeaderElection(api: client, configuration: configuration("b", leaseDuration: .milliseconds(300)))
            #expect(try await a.tryAcquireOrRenew())
            // b first observes the record, then sees it unchanged for a lease duration.
            #expect(try await !b.tryAcquireOrRenew())
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await b.tryAcquireOrRenew())
            // a's renew loop finds another holder and gives up.
            await #expect(throws: LeaderElection.LostLeadership.self) { try await a.keepRenewing() }
            #expect(await !a.isLeader)
        }
    }

    @Test func acquireWaitsForTheLeaseToFree() async throws {
        let api = InMemoryAPI()
        let a = LeaderElection(api: api, configuration: configuration("a"))
        let b = LeaderElection(api: api, configuration: configuration("b"))
        try await a.acquire()
        let waiting = Task { try await b.acquire() }
        try await Task.sleep(for: .milliseconds(100))
        #expect(await !b.isLeader)
        await a.release()
        try await waiting.value
        #expect(await b.isLeader)
    }

    /// After an API outage longer than the renew deadline the lease still names this process: the error says
    /// that renewing failed, instead of blaming another holder (which is this process itself).
    @Test func renewDeadlinePassedBlamesTheOutageNotAnotherHolder() async throws {
        try await ClientTests.withClient { server, client in
            let a = LeaderElection(api: client, configuration: configuration("a"))
            #expect(try await a.tryAcquireOrRenew())
            await server.injectConflicts(1_000)  // every renewal is refused
            do {
                try await a.keepRenewing()
                Issue.record("keepRenewing returned")
            } catch let error as LeaderElection.LostLeadership {
                #expect(error.description.contains("not renewed within the renew deadline"), "\(error)")
                #expect(!error.description.contains("taken over"), "\(error)")
            }
            await server.injectConflicts(0)
        }
    }

    @Test func aTakeOverNamesTheNewHolder() async throws {
        let api = InMemoryAPI()
        let a = LeaderElection(api: api, configuration: configuration("a"))
        try await a.acquire()
        try await api.modify(Lease.self, namespace: "garden", name: "runtime-gvisor-leader-election") {
            $0.spec.holderIdentity = "b"
            return true
        }
        do {
            try await a.keepRenewing()
            Issue.record("keepRenewing returned")
        } catch let error as LeaderElection.LostLeadership {
            #expect(error.description.hasSuffix("leadership lost: taken over by b"), "\(error)")
        }
    }
}
