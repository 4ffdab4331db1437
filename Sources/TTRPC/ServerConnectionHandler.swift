import NIOCore
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Asks a server connection to finish its in-flight calls and close.
struct TTRPCQuiesceEvent: Sendable {}

/// One server connection: screens frames with ``TTRPCConnectionState``, runs handlers as tasks, writes answers.
///
/// Lives on the connection's event loop; handler tasks hand their finished frame back to it, so writes are
/// serialised by the loop and answers go out in completion order, each on its request's stream id.
final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = FrameParser.Element
    typealias OutboundOut = Frame

    private struct Call {
        var task: Task<Void, Never>
        var timer: Scheduled<Void>?
    }

    private var state: TTRPCConnectionState
    private let execution: TTRPCServer.HandlerExecution
    private let maximumInFlightCalls: Int
    private let errorHandler: (@Sendable (any Error) -> Void)?
    private let callObserver: TTRPCCallObserver?
    private var calls: [UInt32: Call] = [:]
    private var draining = false
    private var context: ChannelHandlerContext?
    private var taskExecutor: EventLoopTaskExecutor?

    init(
        registry: TTRPCServiceRegistry, execution: TTRPCServer.HandlerExecution, maximumInFlightCalls: Int = .max,
        errorHandler: (@Sendable (any Error) -> Void)?, callObserver: TTRPCCallObserver? = nil
    ) {
        self.state = TTRPCConnectionState(registry: registry)
        self.execution = execution
        self.maximumInFlightCalls = maximumInFlightCalls
        self.errorHandler = errorHandler
        self.callObserver = callObserver
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if execution == .eventLoop {
            taskExecutor = EventLoopTaskExecutor(eventLoop: context.eventLoop)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelCalls()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state.receive(unwrapInboundIn(data)) {
        case .ignore:
            break
        case .reply(let frame):
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        case .invoke(let handler, let payload, let requestContext):
            guard calls.count < maximumInFlightCalls else {
                errorCaught(context: context, error: TTRPCLimitError.tooManyInFlightCalls(limit: maximumInFlightCalls))
                return
            }
            start(handler: handler, payload: payload, requestContext: requestContext, on: context.eventLoop)
        }
    }

    private func start(
        handler: @escaping TTRPCServiceRegistry.Handler, payload: Data, requestContext: TTRPCRequestContext,
        on eventLoop: any EventLoop
    ) {
        let connection = NIOLoopBound(self, eventLoop: eventLoop)
        let streamID = requestContext.streamID
        let deadline = DeadlineFlag()
        let observer = callObserver
        let received = ContinuousClock.now
        observer?.received(requestContext)
        let operation: @Sendable () async -> Void = {
            let frame = await TTRPCConnectionState.response(
                to: handler, payload: payload, context: requestContext, timedOut: { deadline.passed })
            observer?.replied(requestContext, .now - received)
            eventLoop.execute { connection.value.finish(streamID: streamID, frame: frame) }
        }
        let task =
            if let taskExecutor {
                Task(executorPreference: taskExecutor, operation: operation)
            } else {
                Task(operation: operation)
            }
        let timer = requestContext.timeout.map { timeout in
            eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                deadline.pass()
                task.cancel()
            }
        }
        calls[streamID] = Call(task: task, timer: timer)
    }

    private func finish(streamID: UInt32, frame: Frame) {
        guard let call = calls.removeValue(forKey: streamID), let context else { return }
        call.timer?.cancel()
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        if draining, calls.isEmpty {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is TTRPCQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        draining = true
        if calls.isEmpty {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelCalls()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        errorHandler?(error)
        context.close(promise: nil)
    }

    private func cancelCalls() {
        for call in calls.values {
            call.timer?.cancel()
            call.task.cancel()
        }
        calls.removeAll()
    }
}

/// Set by a call's deadline timer before it cancels the handler, so the answer says `DeadlineExceeded` whatever
/// the clocks read.
private final class DeadlineFlag: Sendable {
    private let flag = Atomic(false)

    var passed: Bool { flag.load(ordering: .acquiring) }

    func pass() {
        flag.store(true, ordering: .releasing)
    }
}
