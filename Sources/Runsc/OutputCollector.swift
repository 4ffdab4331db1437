import Glibc
import Synchronization

/// Drains the parent ends of capture pipes on one background thread shared by all children, so a child
/// that prints a lot never blocks on a full pipe and no Swift concurrency thread blocks in `read(2)`.
///
/// The blocking path for processes without an event loop (gvisor-node, tests); the thread starts at the first
/// capture. A capture ends with ``finish(_:)`` (see ``OutputCapture``).
final class OutputCollector: Sendable {
    static let shared = OutputCollector()

    /// Per stream; beyond it output is dropped (runsc's JSON answers are tiny).
    static let limit = 16 << 20

    private struct Capture {
        var fd: Int32
        var bytes: [UInt8] = []
        var open = true
    }

    private struct State {
        var captures: [UInt64: Capture] = [:]
        var nextID: UInt64 = 1
        var buffer = [UInt8](repeating: 0, count: 65536)
    }

    private let state = Mutex(State())
    /// Wakes the thread to re-read the set of descriptors.
    private let wake: (read: Int32, write: Int32)

    private init() {
        // Without its pipe the collector cannot work at all; this happens only when out of descriptors at the
        // very first capture, which is fatal for a driver of child processes anyway.
        guard let wake = try? POSIX.makePipe() else { fatalError("OutputCollector: cannot create its wake pipe") }
        POSIX.setNonBlocking(wake.read)
        POSIX.setNonBlocking(wake.write)
        self.wake = wake
        let created = POSIX.detachedThread { [unowned self] in self.run() }
        guard created == 0 else { fatalError("OutputCollector: cannot start its thread (errno \(created))") }
    }

    /// Starts collecting from `fd`, which the collector now owns. Returns the capture's handle.
    func register(_ fd: Int32) -> UInt64 {
        POSIX.setNonBlocking(fd)
        let id = state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.captures[id] = Capture(fd: fd)
            return id
        }
        signal()
        return id
    }

    /// ``register(_:)`` as an ``OutputCapture``.
    func capture(_ fd: Int32) -> OutputCapture {
        let id = register(fd)
        return OutputCapture { self.finish(id) }
    }

    /// Ends the capture: reads what is buffered without blocking, closes the pipe, returns all bytes.
    func finish(_ id: UInt64) -> [UInt8] {
        let bytes = state.withLock { state -> [UInt8] in
            guard var capture = state.captures.removeValue(forKey: id) else { return [] }
            if capture.open {
                Self.drain(&capture, buffer: &state.buffer, maximumReads: Self.limit / state.buffer.count)
                if capture.open { _ = close(capture.fd) }
            }
            return capture.bytes
        }
        signal()
        return bytes
    }

    private func signal() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private func run() {
        var descriptors: [pollfd] = []
        var ids: [UInt64] = []
        var scratch = [UInt8](repeating: 0, count: 256)
        while true {
            descriptors.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            descriptors.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            ids.append(0)
            state.withLock { state in
                for (id, capture) in state.captures where capture.open {
                    descriptors.append(pollfd(fd: capture.fd, events: Int16(POLLIN), revents: 0))
                    ids.append(id)
                }
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 { continue }  // EINTR; nothing else is expected with valid arguments
            if descriptors[0].revents != 0 {
                while scratch.withUnsafeMutableBytes({ read(wake.read, $0.baseAddress, $0.count) }) > 0 {}
            }
            state.withLock { state in
                for index in 1..<descriptors.count where descriptors[index].revents != 0 {
                    // The capture may have been finished, and its descriptor number reused, meanwhile.
                    guard var capture = state.captures[ids[index]], capture.open,
                        capture.fd == descriptors[index].fd
                    else { continue }
                    Self.drain(&capture, buffer: &state.buffer, maximumReads: .max)
                    state.captures[ids[index]] = capture
                }
            }
        }
    }

    /// Reads until the pipe would block (or `maximumReads` reads, against a writer that never pauses); at
    /// end-of-file or on an error closes it and marks it closed.
    private static func drain(_ capture: inout Capture, buffer: inout [UInt8], maximumReads: Int) {
        for _ in 0..<maximumReads {
            let count = buffer.withUnsafeMutableBytes { read(capture.fd, $0.baseAddress, $0.count) }
            if count > 0 {
                let room = limit - capture.bytes.count
                if room > 0 { capture.bytes += buffer[0..<min(count, room)] }
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                _ = close(capture.fd)
                capture.open = false
                return
            }
        }
    }
}
