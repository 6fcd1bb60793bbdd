import NIOCore
import NIOSSL
import Synchronization

/// Remembers the TLS error that ended a connection (a failed handshake or certificate check), which the
/// async side may otherwise only see as "the connection closed".
final class TLSErrorRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    private let recorded = Mutex<(any Error)?>(nil)

    /// The first TLS error seen, if any.
    var error: (any Error)? { self.recorded.withLock { $0 } }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if ReplicationConnection.isTLSError(error) {
            self.recorded.withLock { if $0 == nil { $0 = error } }
        }
        context.fireErrorCaught(error)
    }
}
