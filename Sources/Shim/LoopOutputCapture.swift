import Glibc
import NIOCore
import NIOPosix
import Runsc
import Synchronization

/// Drains a runsc capture pipe on the shim's event loop, so runsc's answers need no thread of their own.
///
/// NIO reads a duplicate of the descriptor as a pipe channel; the original stays ours, so ``OutputCapture``'s
/// finish can read what NIO has not yet seen (the exit may be handled first) without blocking and close both,
/// all on the loop. End-of-file is not awaited: the sandbox may hold the write end for its whole life.
enum LoopOutputCapture {
    /// Per stream; beyond it output is dropped (runsc's JSON answers are tiny).
    static let limit = 16 << 20

    /// Takes ownership of `fd` and starts reading it on `eventLoop`.
    static func start(_ fd: Int32, on eventLoop: any EventLoop) -> OutputCapture {
        let sink = Sink()
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        let duplicate = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        let channel: EventLoopFuture<any Channel>? =
            duplicate < 0
            ? nil
            : NIOPipeBootstrap(group: eventLoop)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Reader(sink: sink))
                    }
                }
                .takingOwnershipOfDescriptor(input: duplicate)
        return OutputCapture {
            let registered = try? await channel?.get()
            let finished = eventLoop.submit { () -> [UInt8] in
                sink.drain(fd)
                close(fd)
                registered?.close(promise: nil)
                return sink.bytes
            }
            return (try? await finished.get()) ?? []
        }
    }

    /// The bytes read so far; touched on the loop only, behind a lock for Sendable's sake.
    final class Sink: Sendable {
        private let state = Mutex<[UInt8]>([])

        var bytes: [UInt8] { state.withLock { $0 } }

        func append(_ chunk: some Collection<UInt8>) {
            state.withLock { bytes in
                let room = LoopOutputCapture.limit - bytes.count
                if room > 0 { bytes += chunk.prefix(room) }
            }
        }

        /// Reads `fd` until it would block, ends or fails (or up to the limit, against a writer that never pauses).
        func drain(_ fd: Int32) {
            var buffer = [UInt8](repeating: 0, count: 65536)
            for _ in 0...(LoopOutputCapture.limit / buffer.count) {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    append(buffer[0..<count])
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    private final class Reader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let sink: Sink

        init(sink: Sink) { self.sink = sink }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            sink.append(unwrapInboundIn(data).readableBytesView)
        }
    }
}
