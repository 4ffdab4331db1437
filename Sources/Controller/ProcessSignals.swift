import Dispatch
import Foundation

/// Runs an operation until SIGTERM or SIGINT arrives, then cancels it (Kubernetes stops pods with SIGTERM).
public enum ProcessSignals {
    public static func runUntilTerminated(_ operation: @escaping @Sendable () async throws -> Void) async throws {
        let task = Task { try await operation() }
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                Log.info("signal received, stopping", ["signal": String(signalNumber)])
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        defer { sources.forEach { $0.cancel() } }
        do {
            try await task.value
        } catch is CancellationError {
        }
    }
}
