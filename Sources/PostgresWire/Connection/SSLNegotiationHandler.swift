import NIOCore

/// Sends `SSLRequest` and reads the server's one-byte answer (`S`: TLS follows, `N`: no TLS), then removes
/// itself. Anything after that byte and before the TLS handshake is refused (CVE-2021-23222: a man in the middle
/// could inject plaintext that would be read as if it came through TLS).
final class SSLNegotiationHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let promise: EventLoopPromise<Bool>
    private var answered = false

    init(promise: EventLoopPromise<Bool>) {
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 8)
        FrontendMessageEncoder().encode(data: .sslRequest, out: &buffer)
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        guard !self.answered, let answer = buffer.readInteger(as: UInt8.self) else { return }
        self.answered = true
        guard buffer.readableBytes == 0 else {
            self.promise.fail(
                MessageDecodingError(
                    tag: answer,
                    offset: 1,
                    reason: "unencrypted data after the SSLRequest answer (possible man-in-the-middle)",
                    bytes: buffer
                )
            )
            context.close(promise: nil)
            return
        }
        switch answer {
        case UInt8(ascii: "S"): self.promise.succeed(true)
        case UInt8(ascii: "N"): self.promise.succeed(false)
        default:
            self.promise.fail(
                MessageDecodingError(tag: answer, offset: 0, reason: "unexpected answer to SSLRequest", bytes: buffer)
            )
        }
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.answered {
            self.answered = true
            self.promise.fail(ChannelError.inputClosed)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.answered {
            self.answered = true
            self.promise.fail(error)
        }
        context.fireErrorCaught(error)
    }
}
