import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// A walsender connection (`replication=database`): replication commands and the CopyBoth stream.
///
/// Open one with ``withConnection(to:configuration:logger:_:)``; it is closed when the closure returns. Use
/// it from one task at a time. To acknowledge from another task, use ``feedback``.
///
/// A walsender only speaks the simple query protocol, which is why this connection is separate from
/// postgres-nio's `PostgresConnection` (used for regular SQL).
public final class ReplicationConnection {
    /// The server this connection is to.
    public let endpoint: ConnectionSettings.Endpoint
    /// The database.
    public let database: String
    /// The user.
    public let user: String
    /// The run-time parameters the server reported (`server_version`, `in_hot_standby`, ...).
    public private(set) var parameters: [String: String]
    /// The authentication method the server asked for: trust, password, md5 or SCRAM-SHA-256.
    public let authenticationMethod: String
    /// True when the connection is encrypted.
    public let isTLS: Bool
    /// The handle that acknowledges positions, usable from any task.
    public let feedback: ReplicationFeedback

    let logger: Logger
    private var inbound: NIOAsyncChannelInboundStream<InboundMessage>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<FrontendMessage>
    private let handler: NIOLoopBound<ReplicationStreamHandler>
    /// True while a START_REPLICATION stream is open.
    var isStreaming = false
    /// The replication messages of the last batch received, and the position of the next one to hand out.
    private var replicationBatch: [ReplicationMessage] = []
    private var replicationBatchPosition = 0

    init(
        endpoint: ConnectionSettings.Endpoint,
        database: String,
        user: String,
        startup: StartupResult,
        isTLS: Bool,
        inbound: NIOAsyncChannelInboundStream<InboundMessage>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<FrontendMessage>,
        handler: NIOLoopBound<ReplicationStreamHandler>,
        logger: Logger
    ) {
        self.endpoint = endpoint
        self.database = database
        self.user = user
        self.parameters = startup.parameters
        self.authenticationMethod = startup.authenticationMethod
        self.isTLS = isTLS
        self.inbound = inbound
        self.outbound = outbound
        self.handler = handler
        self.feedback = ReplicationFeedback(handler: handler)
        var logger = logger
        logger[metadataKey: "db.host"] = "\(endpoint)"
        self.logger = logger
    }

    /// The server's version as a number, for example 150018 for 15.18 (`server_version_num`).
    public var serverVersionNumber: Int {
        let version = self.parameters["server_version"] ?? ""
        let digits = version.prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap { Int($0) }
        guard let major = digits.first else { return 0 }
        return major >= 10 ? major * 10_000 + (digits.dropFirst().first ?? 0) : major * 10_000
    }

    /// The server's major version, for example 15.
    public var serverMajorVersion: Int { self.serverVersionNumber / 10_000 }

    /// Whether the server is a hot standby, from the `in_hot_standby` parameter (PostgreSQL 14+); `nil` when
    /// the server did not report it.
    public var isHotStandby: Bool? {
        self.parameters["in_hot_standby"].map { $0 == "on" }
    }

    // MARK: - Messages

    func send(_ message: FrontendMessage) async throws(PostgresWireError) {
        do {
            try await self.outbound.write(message)
        } catch {
            throw self.error(.connectionClosed, "could not send \(message) to the server", underlying: error)
        }
    }

    func receive() async throws(PostgresWireError) -> InboundMessage {
        let next: InboundMessage?
        do {
            next = try await self.inbound.next()
        } catch let error as MessageDecodingError {
            throw self.error(.protocolViolation, error.description, underlying: error)
        } catch {
            throw self.error(.connectionClosed, "the connection to the server failed", underlying: error)
        }
        guard let next else {
            throw self.error(.connectionClosed, "the server closed the connection")
        }
        if case .backend(.parameterStatus(let name, let value)) = next {
            self.parameters[name] = value
        }
        return next
    }

    /// Keeps a batch of replication messages to hand out one by one (replacing what is left of the last one).
    func bufferReplication(_ messages: [ReplicationMessage]) {
        self.replicationBatch = messages
        self.replicationBatchPosition = 0
    }

    /// The next replication message of the current batch, if any is left.
    func nextBufferedReplication() -> ReplicationMessage? {
        guard self.replicationBatchPosition < self.replicationBatch.count else { return nil }
        defer { self.replicationBatchPosition += 1 }
        return self.replicationBatch[self.replicationBatchPosition]
    }

    func receiveBackend() async throws(PostgresWireError) -> BackendMessage {
        while true {
            switch try await self.receive() {
            case .backend(.noticeResponse(let fields)):
                self.logger.debug(
                    "server notice",
                    metadata: ["db.severity": "\(fields.severity ?? "")", "db.message": "\(fields.message ?? "")"]
                )
            case .backend(.parameterStatus):
                continue
            case .backend(let message):
                return message
            case .replication:
                throw self.error(.protocolViolation, "replication data outside of a replication stream")
            case .stopRequested:
                continue
            }
        }
    }

    /// Tells the stream handler the position the next CopyBoth stream starts at.
    func expectStream(startLSN: LSN) async {
        let handler = self.handler
        try? await handler.eventLoop.submit { handler.value.expectStream(startLSN: startLSN) }.get()
    }

    /// Builds an error with this connection's context.
    func error(
        _ code: PostgresWireError.Code,
        _ reason: String,
        slot: String? = nil,
        lsn: LSN? = nil,
        serverFields: PostgresWireError.ServerFields? = nil,
        underlying: (any Error)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> PostgresWireError {
        PostgresWireError(
            code,
            reason,
            host: self.endpoint.host,
            port: self.endpoint.port,
            database: self.database,
            user: self.user,
            slot: slot,
            lsn: lsn,
            serverFields: serverFields,
            underlying: underlying,
            file: file,
            line: line
        )
    }

    /// Says goodbye: `Terminate`.
    func terminate() async {
        try? await self.outbound.write(.terminate)
    }
}

/// The result of a successful startup.
struct StartupResult {
    var parameters: [String: String]
    var authenticationMethod: String
}

/// Acknowledges positions of a replication stream from any task.
///
/// - Important: acknowledge a position only once everything before it is durable on your side: the server may
///   then recycle the WAL, and after a restart streaming resumes after that position.
public struct ReplicationFeedback: Sendable {
    let handler: NIOLoopBound<ReplicationStreamHandler>

    /// Reports everything up to `lsn` as flushed. Positions never move backwards.
    /// - Parameters:
    ///   - lsn: the end of the last transaction the consumer has made durable.
    ///   - immediately: send the status update now instead of batching it (for at most the configured
    ///     acknowledgement delay).
    public func acknowledge(_ lsn: LSN, immediately: Bool = false) {
        let handler = self.handler
        handler.eventLoop.execute {
            handler.value.acknowledge(lsn, immediately: immediately)
        }
    }

    /// Asks the consumer reading the stream to stop: its iterator yields ``ReplicationMessage/stopRequested``
    /// after the messages already received. Does nothing when no stream is open.
    public func requestStop() {
        let handler = self.handler
        handler.eventLoop.execute {
            handler.value.requestStop()
        }
    }

    /// The highest position acknowledged so far in the current stream, as the server will be told.
    /// - Returns: `nil` when no stream is open.
    public func acknowledgedPosition() async -> LSN? {
        let handler = self.handler
        return try? await handler.eventLoop.submit { handler.value.flushedPosition }.get()
    }
}
