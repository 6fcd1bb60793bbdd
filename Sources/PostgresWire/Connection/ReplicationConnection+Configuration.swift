public import NIOCore
import NIOPosix

extension ReplicationConnection {
    /// How a replication connection behaves. Every property has a working default.
    public struct Configuration: Sendable {
        /// How often a standby status update is sent while streaming, however busy or idle the consumer is.
        /// Keep it well below the server's `wal_sender_timeout` (default 60 s). Default: 10 s.
        public var statusInterval: Duration = .seconds(10)
        /// How long an acknowledgement may wait before it is sent, so that many small transactions
        /// acknowledged in a row cost one status update. Default: 100 ms.
        public var acknowledgementDelay: Duration = .milliseconds(100)
        /// The largest server message accepted, in bytes. A row with large TOASTed values is one message.
        /// Default: 1 GiB plus headers.
        public var maxMessageSize: Int = (1 << 30) + 4096
        /// How many received messages may wait for the consumer before the socket stops being read.
        /// Memory is bounded by this times the message size. Messages are buffered in batches of up to 32, so
        /// this is rounded down to whole batches (at least two). Default: 256.
        public var maxBufferedMessages: Int = 256
        /// The `application_name` sent when the connection string has none. Default: `pgcdc`.
        public var defaultApplicationName: String = "pgcdc"
        /// Extra startup parameters (GUC settings for the walsender session). By default the session uses
        /// `DateStyle=ISO`, `TimeZone=UTC`, `IntervalStyle=postgres` and `extra_float_digits=3`, so that text
        /// values are printed in one predictable form.
        public var sessionParameters: [(String, String)] = [
            ("DateStyle", "ISO, MDY"),
            ("TimeZone", "UTC"),
            ("IntervalStyle", "postgres"),
            ("extra_float_digits", "3"),
        ]
        /// The event loop group the connection runs on. Default: the shared singleton.
        public var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

        /// Creates the default configuration.
        public init() {}
    }
}
