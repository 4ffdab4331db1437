import NIOCore
import NIOPosix

/// Copies bytes from one descriptor to another on the shim's event loop: no thread per stream,
/// which matters with one shim per pod. Used between containerd's stdio FIFOs and the pipes that
/// runsc's processes write to and read from. Backpressure is the sink's writability; end of input
/// closes the sink once everything was written.
enum StdioRelay {
    /// A running relay.
    struct Handle: Sendable {
        /// Completes when the source reached its end (or was finished) and the sink was closed.
        let done: EventLoopFuture<Void>
        fileprivate let source: EventLoopFuture<Channel>

        /// Ends the relay as if the source had reached its end: what was read is still written,
        /// then the sink closes. For stdin, whose FIFO may never report end-of-file.
        func finish() {
            source.whenSuccess { channel in
                channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            }
        }
    }

    /// Starts relaying `source` → `sink`. Both descriptors are owned by the relay from now on.
    static func start(from source: CInt, to sink: CInt, on eventLoop: EventLoop) -> Handle {
        let done = eventLoop.makePromise(of: Void.self)
        let sourcePromise = eventLoop.makePromise(of: Channel.self)
        let sinkChannel = NIOPipeBootstrap(group: eventLoop)
            .channelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .takingOwnershipOfDescriptor(output: sink)
        sinkChannel.whenFailure { error in
            close(source)
            done.fail(error)
        }
        sinkChannel.whenSuccess { sinkChannel in
            let forwarder = Forwarder(sink: sinkChannel, done: done)
            NIOPipeBootstrap(group: eventLoop)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(forwarder)
                        try sinkChannel.pipeline.syncOperations.addHandler(WritabilityRelay(source: channel))
                    }
                }
                .takingOwnershipOfDescriptor(input: source)
                .whenComplete { result in
                    switch result {
                    case .success(let channel):
                        sourcePromise.succeed(channel)
                    case .failure(let error):
                        sinkChannel.close(promise: nil)
                        sourcePromise.fail(error)
                        done.fail(error)
                    }
                }
        }
        sinkChannel.whenFailure { sourcePromise.fail($0) }
        return Handle(done: done.futureResult, source: sourcePromise.futureResult)
    }

    private final class Forwarder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        private let sink: Channel
        private let done: EventLoopPromise<Void>
        private var lastWrite: EventLoopFuture<Void>?
        private var finished = false

        init(sink: Channel, done: EventLoopPromise<Void>) {
            self.sink = sink
            self.done = done
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            lastWrite = sink.write(unwrapInboundIn(data))
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            sink.flush()
            if !sink.isWritable {
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
            }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case ChannelEvent.inputClosed = event {
                finish(context: context)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(context: context)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            finish(context: context)
        }

        private func finish(context: ChannelHandlerContext) {
            guard !finished else { return }
            finished = true
            sink.flush()
            let sink = self.sink
            let done = self.done
            let source = context.channel
            (lastWrite ?? sink.eventLoop.makeSucceededVoidFuture()).whenComplete { _ in
                sink.close().whenComplete { _ in
                    source.close(promise: nil)
                    done.succeed()
                }
            }
        }
    }

    /// Resumes reading the source when the sink can take more.
    private final class WritabilityRelay: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        private let source: Channel

        init(source: Channel) { self.source = source }

        func channelWritabilityChanged(context: ChannelHandlerContext) {
            if context.channel.isWritable {
                source.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
                source.read()
            }
            context.fireChannelWritabilityChanged()
        }
    }
}
