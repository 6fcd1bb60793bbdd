import Foundation
import NIOCore

/// Sits between the framing codec and the async consumer. Outside CopyBoth mode it passes messages through.
/// In CopyBoth mode it decodes replication messages, answers keepalives that ask for a reply at once, and sends
/// standby status updates on a timer, whether or not the consumer is reading.
///
/// Replication messages go up in batches: those decoded from one read, handed on at read-complete (or when
/// ``maxBatchSize`` is reached, or before anything else is handed on), so order is kept.
///
/// Its only logic is to carry out the actions of ``ReplicationStreamStateMachine``.
final class ReplicationStreamHandler: ChannelDuplexHandler {
    typealias InboundIn = BackendMessage
    typealias InboundOut = InboundMessage
    typealias OutboundIn = FrontendMessage
    typealias OutboundOut = FrontendMessage

    private let statusInterval: Duration
    private let acknowledgementDelay: Duration
    private var stream: ReplicationStreamStateMachine<ContinuousClock>?
    private var pendingStartLSN: LSN?
    private var timer: RepeatedTask?
    private var context: ChannelHandlerContext?
    private let clock = ContinuousClock()
    /// Replication messages decoded but not yet handed on.
    private var batch: [ReplicationMessage] = []

    /// The most replication messages handed on at once. The consumer's buffer holds batches, so the connection
    /// sizes it in batches of this size (``ReplicationConnection/Configuration/maxBufferedMessages``).
    static let maxBatchSize = 32

    init(statusInterval: Duration, acknowledgementDelay: Duration) {
        self.statusInterval = statusInterval
        self.acknowledgementDelay = acknowledgementDelay
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.stopTimer()
        self.context = nil
    }

    /// The next CopyBothResponse starts a stream at this position.
    func expectStream(startLSN: LSN) {
        self.pendingStartLSN = startLSN
    }

    /// The consumer made everything up to `lsn` durable.
    func acknowledge(_ lsn: LSN, immediately: Bool) {
        guard var stream = self.stream else { return }
        let action = stream.acknowledge(lsn, now: self.clock.now, immediately: immediately)
        self.stream = stream
        self.perform(action)
    }

    /// Wakes the consumer with a stop request, behind whatever is already buffered.
    func requestStop() {
        guard self.stream != nil, let context else { return }
        self.flushBatch(context: context)
        context.fireChannelRead(self.wrapInboundOut(.stopRequested))
        // The async consumer takes buffered reads on read-complete; without it the request would wait for the
        // server's next message.
        context.fireChannelReadComplete()
    }

    /// The acknowledged position, for the consumer's status.
    var flushedPosition: LSN? { self.stream?.flushed }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = self.unwrapInboundIn(data)
        guard var stream = self.stream else {
            if case .copyBothResponse = message, let start = self.pendingStartLSN {
                self.pendingStartLSN = nil
                var machine = ReplicationStreamStateMachine<ContinuousClock>(
                    startLSN: start,
                    statusInterval: self.statusInterval,
                    acknowledgementDelay: self.acknowledgementDelay
                )
                _ = machine.started(now: self.clock.now)
                self.stream = machine
                self.startTimer(context: context, interval: machine.tickInterval)
            }
            self.flushBatch(context: context)
            context.fireChannelRead(self.wrapInboundOut(.backend(message)))
            return
        }
        switch message {
        case .copyData(let body):
            let replication: ReplicationMessage
            do {
                replication = try ReplicationMessage.decode(body)
            } catch {
                self.flushBatch(context: context)
                context.fireErrorCaught(error)
                return
            }
            let action: ReplicationStreamStateMachine<ContinuousClock>.Action
            switch replication {
            case .xlogData(let data):
                action = stream.xlogDataReceived(walStart: data.walStart)
            case .keepalive(let keepalive):
                action = stream.keepaliveReceived(
                    walEnd: keepalive.walEnd,
                    replyRequested: keepalive.replyRequested,
                    now: self.clock.now
                )
            case .stopRequested:
                action = .none
            }
            self.stream = stream
            self.perform(action)
            self.batch.append(replication)
            if self.batch.count >= Self.maxBatchSize { self.flushBatch(context: context) }
        case .copyDone, .errorResponse, .commandComplete, .readyForQuery:
            self.endStream()
            self.flushBatch(context: context)
            context.fireChannelRead(self.wrapInboundOut(.backend(message)))
        default:
            self.flushBatch(context: context)
            context.fireChannelRead(self.wrapInboundOut(.backend(message)))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flushBatch(context: context)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.flushBatch(context: context)
        context.fireErrorCaught(error)
    }

    /// Hands on the replication messages decoded so far, before anything that follows them.
    private func flushBatch(context: ChannelHandlerContext) {
        guard !self.batch.isEmpty else { return }
        let messages = self.batch
        self.batch = []
        self.batch.reserveCapacity(Self.maxBatchSize)
        context.fireChannelRead(self.wrapInboundOut(.replication(messages)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = self.unwrapOutboundIn(data)
        if case .copyDone = message, var stream = self.stream {
            // The last word before CopyDone: everything the consumer acknowledged.
            let action = stream.stopping(now: self.clock.now)
            self.stream = stream
            self.perform(action)
            self.endStream()
        }
        context.write(self.wrapOutboundOut(message), promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.endStream()
        self.flushBatch(context: context)
        context.fireChannelInactive()
    }

    private func endStream() {
        self.stream = nil
        self.stopTimer()
    }

    private func perform(_ action: ReplicationStreamStateMachine<ContinuousClock>.Action) {
        switch action {
        case .none:
            break
        case .sendStatus(let status):
            guard let context else { return }
            let now = Int64(Date.microsecondsSince1970()) - postgresEpochOffsetMicroseconds
            let update = StandbyStatusUpdate(
                written: status.written,
                flushed: status.flushed,
                applied: status.flushed,
                clientTime: now,
                replyRequested: status.replyRequested
            )
            context.writeAndFlush(
                self.wrapOutboundOut(.copyData(update.encoded(allocator: context.channel.allocator))),
                promise: nil
            )
        }
    }

    private func startTimer(context: ChannelHandlerContext, interval: Duration) {
        self.stopTimer()
        let amount = TimeAmount.nanoseconds(
            Int64(interval.components.seconds) * 1_000_000_000
                + interval.components.attoseconds / 1_000_000_000
        )
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleRepeatedTask(initialDelay: amount, delay: amount) { _ in
            loopBound.value.timerFired()
        }
    }

    private func timerFired() {
        guard var stream = self.stream else { return }
        let action = stream.tick(now: self.clock.now)
        self.stream = stream
        self.perform(action)
    }

    private func stopTimer() {
        self.timer?.cancel()
        self.timer = nil
    }
}

extension Date {
    fileprivate static func microsecondsSince1970() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }
}
