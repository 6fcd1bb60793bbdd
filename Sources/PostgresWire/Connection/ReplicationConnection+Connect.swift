import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL

extension ReplicationConnection {
    /// Opens a walsender connection, runs `body` with it, and closes it.
    ///
    /// The hosts of `settings` are tried in order. A host is skipped when it cannot be reached, refuses the
    /// credentials, or does not fit `target_session_attrs` (for `read-write`/`primary` a hot standby is never
    /// taken for the primary). `connect_timeout` applies per host.
    ///
    /// - Parameters:
    ///   - settings: where to connect and how to authenticate.
    ///   - configuration: stream and buffer settings.
    ///   - logger: where to log (at debug/info).
    ///   - body: what to do with the connection; errors it throws are rethrown, never retried on another host.
    /// - Returns: what `body` returns.
    /// - Throws: ``PostgresWireError``: `.noSuitableHost` (listing each host and why it was refused) when there
    ///   are several hosts, else the single host's error; or whatever `body` throws.
    public static func withConnection<Result>(
        to settings: ConnectionSettings,
        configuration: Configuration = Configuration(),
        logger: Logger,
        _ body: (ReplicationConnection) async throws -> Result
    ) async throws -> Result {
        var refusals: [(ConnectionSettings.Endpoint, PostgresWireError)] = []
        let passes: [Bool] = settings.targetSessionAttributes == .preferStandby ? [true, false] : [false]
        for strictStandby in passes {
            for endpoint in settings.endpoints {
                let outcome: AttemptOutcome<Result>
                do {
                    outcome = try await self.attempt(
                        endpoint: endpoint,
                        settings: settings,
                        configuration: configuration,
                        strictStandby: strictStandby,
                        logger: logger,
                        body: body
                    )
                } catch {
                    logger.debug("host refused", metadata: ["db.host": "\(endpoint)", "error": "\(error)"])
                    refusals.append((endpoint, error))
                    continue
                }
                switch outcome {
                case .finished(let result):
                    return try result.get()
                case .unsuitable(let error):
                    logger.debug("host does not fit", metadata: ["db.host": "\(endpoint)", "error": "\(error)"])
                    refusals.append((endpoint, error))
                }
            }
        }
        if refusals.count == 1, let only = refusals.first {
            throw only.1
        }
        let list = refusals.map { "\($0.0): \($0.1.shortReason)" }.joined(separator: "; ")
        throw PostgresWireError(
            .noSuitableHost,
            "no host fits target_session_attrs=\(settings.targetSessionAttributes.rawValue) (\(list))",
            database: settings.database,
            user: settings.user
        )
    }

    private enum AttemptOutcome<R> {
        case finished(Swift.Result<R, any Error>)
        case unsuitable(PostgresWireError)
    }

    /// One host: connect, negotiate TLS, start up, check the session attributes, run the body.
    private static func attempt<Result>(
        endpoint: ConnectionSettings.Endpoint,
        settings: ConnectionSettings,
        configuration: Configuration,
        strictStandby: Bool,
        logger: Logger,
        body: (ReplicationConnection) async throws -> Result
    ) async throws(PostgresWireError) -> AttemptOutcome<Result> {
        let password = try settings.password(for: endpoint)
        let plans = TLSPlan.attempts(for: settings.sslMode)
        var lastError: PostgresWireError?
        for plan in plans {
            do {
                return try await self.attempt(
                    endpoint: endpoint,
                    settings: settings,
                    password: password,
                    tls: plan,
                    configuration: configuration,
                    strictStandby: strictStandby,
                    logger: logger,
                    body: body
                )
            } catch {
                // sslmode=prefer falls back to plaintext when TLS fails; allow tries TLS when plaintext is refused.
                guard error.code == .tls || error.code == .server || error.code == .authenticationFailed else {
                    throw error
                }
                lastError = error
            }
        }
        throw lastError ?? PostgresWireError(.connectionFailed, "no connection attempt", host: endpoint.host)
    }

    private static func attempt<Result>(
        endpoint: ConnectionSettings.Endpoint,
        settings: ConnectionSettings,
        password: String?,
        tls: TLSPlan,
        configuration: Configuration,
        strictStandby: Bool,
        logger: Logger,
        body: (ReplicationConnection) async throws -> Result
    ) async throws(PostgresWireError) -> AttemptOutcome<Result> {
        func failure(
            _ code: PostgresWireError.Code,
            _ reason: String,
            _ underlying: (any Error)? = nil
        )
            -> PostgresWireError
        {
            PostgresWireError(
                code,
                reason,
                host: endpoint.host,
                port: endpoint.port,
                database: settings.database,
                user: settings.user,
                underlying: underlying
            )
        }

        let channel = try await self.connectChannel(
            endpoint: endpoint,
            settings: settings,
            configuration: configuration
        )
        // connect_timeout covers TLS and authentication too: close the channel when it passes.
        let timedOut = ManagedAtomicFlag()
        let timeoutTask: Scheduled<Void>? = settings.connectTimeout.map { timeout in
            channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
                timedOut.set()
                channel.close(promise: nil)
            }
        }
        defer { timeoutTask?.cancel() }

        let tlsErrors = TLSErrorRecorder()
        let isTLS: Bool
        let asyncChannel: NIOAsyncChannel<InboundMessage, FrontendMessage>
        let handler: NIOLoopBound<ReplicationStreamHandler>
        do {
            isTLS = try await self.negotiateTLS(
                channel: channel,
                endpoint: endpoint,
                settings: settings,
                plan: tls,
                recorder: tlsErrors
            )
            (asyncChannel, handler) = try await channel.eventLoop.submit {
                let streamHandler = ReplicationStreamHandler(
                    statusInterval: configuration.statusInterval,
                    acknowledgementDelay: configuration.acknowledgementDelay
                )
                try channel.pipeline.syncOperations.addHandlers([
                    ByteToMessageHandler(BackendMessageDecoder(maxMessageSize: configuration.maxMessageSize)),
                    MessageToByteHandler(FrontendMessageEncoder()),
                    streamHandler,
                ])
                // While streaming, the buffer holds batches of up to `maxBatchSize` replication messages: count
                // in batches so that about `maxBufferedMessages` messages wait at most, as before batching.
                let highWatermark = max(2, configuration.maxBufferedMessages / ReplicationStreamHandler.maxBatchSize)
                let wrapped = try NIOAsyncChannel<InboundMessage, FrontendMessage>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(
                        backPressureStrategy: .init(
                            lowWatermark: max(1, highWatermark / 4),
                            highWatermark: highWatermark
                        )
                    )
                )
                return (wrapped, NIOLoopBound(streamHandler, eventLoop: channel.eventLoop))
            }.get()
        } catch let error as PostgresWireError {
            channel.close(promise: nil)
            throw timedOut.isSet ? failure(.connectTimeout, "connect_timeout passed during TLS negotiation") : error
        } catch {
            channel.close(promise: nil)
            if timedOut.isSet { throw failure(.connectTimeout, "connect_timeout passed during TLS negotiation") }
            throw failure(.tls, "TLS negotiation failed: \(error)", error)
        }

        do {
            return try await asyncChannel.executeThenClose { inbound, outbound in
                var startupTimedOut: Bool { timedOut.isSet }
                let startup:
                    (result: StartupResult, iterator: NIOAsyncChannelInboundStream<InboundMessage>.AsyncIterator)
                do {
                    startup = try await Self.startup(
                        inbound: inbound,
                        outbound: outbound,
                        endpoint: endpoint,
                        settings: settings,
                        password: password,
                        configuration: configuration
                    )
                } catch {
                    if startupTimedOut { throw failure(.connectTimeout, "connect_timeout passed during startup") }
                    if let tlsError = tlsErrors.error {
                        throw failure(.tls, "TLS failed: \(tlsError)", tlsError)
                    }
                    throw error
                }
                timeoutTask?.cancel()
                let connection = ReplicationConnection(
                    endpoint: endpoint,
                    database: settings.database,
                    user: settings.user,
                    startup: startup.result,
                    isTLS: isTLS,
                    inbound: startup.iterator,
                    outbound: outbound,
                    handler: handler,
                    logger: logger
                )
                connection.logger.debug(
                    "replication connection ready",
                    metadata: [
                        "db.auth": "\(startup.result.authenticationMethod)", "db.tls": "\(isTLS)",
                        "db.server_version": "\(connection.parameters["server_version"] ?? "?")",
                    ]
                )
                if let reason = try await connection.unsuitability(
                    for: settings.targetSessionAttributes,
                    strictStandby: strictStandby
                ) {
                    await connection.terminate()
                    return .unsuitable(connection.error(.noSuitableHost, reason))
                }
                let result: Swift.Result<Result, any Error>
                do {
                    result = .success(try await body(connection))
                } catch {
                    result = .failure(error)
                }
                await connection.terminate()
                return .finished(result)
            }
        } catch let error as PostgresWireError {
            throw error
        } catch {
            throw failure(.connectionFailed, "the connection failed: \(error)", error)
        }
    }

    private static func connectChannel(
        endpoint: ConnectionSettings.Endpoint,
        settings: ConnectionSettings,
        configuration: Configuration
    ) async throws(PostgresWireError) -> any Channel {
        var bootstrap = ClientBootstrap(group: configuration.eventLoopGroup)
            .channelOption(.socketOption(.so_keepalive), value: 1)
        if !endpoint.isUnixSocket {
            bootstrap = bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        if let timeout = settings.connectTimeout {
            bootstrap = bootstrap.connectTimeout(.nanoseconds(timeout.nanoseconds))
        }
        do {
            if let path = endpoint.unixSocketPath {
                return try await bootstrap.connect(unixDomainSocketPath: path).get()
            }
            return try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch let error as ChannelError {
            if case .connectTimeout = error {
                throw PostgresWireError(
                    .connectTimeout,
                    "could not connect within connect_timeout",
                    host: endpoint.host,
                    port: endpoint.port,
                    underlying: error
                )
            }
            throw PostgresWireError(
                .connectionFailed,
                "could not connect: \(Self.connectFailureReason(error))",
                host: endpoint.host,
                port: endpoint.port,
                underlying: error
            )
        } catch {
            throw PostgresWireError(
                .connectionFailed,
                "could not connect: \(Self.connectFailureReason(error))",
                host: endpoint.host,
                port: endpoint.port,
                underlying: error
            )
        }
    }

    /// Runs the startup state machine until ReadyForQuery.
    private static func startup(
        inbound: NIOAsyncChannelInboundStream<InboundMessage>,
        outbound: NIOAsyncChannelOutboundWriter<FrontendMessage>,
        endpoint: ConnectionSettings.Endpoint,
        settings: ConnectionSettings,
        password: String?,
        configuration: Configuration
    ) async throws(PostgresWireError) -> (
        result: StartupResult, iterator: NIOAsyncChannelInboundStream<InboundMessage>.AsyncIterator
    ) {
        func failure(
            _ code: PostgresWireError.Code,
            _ reason: String,
            _ fields: PostgresWireError.ServerFields? = nil,
            _ underlying: (any Error)? = nil
        ) -> PostgresWireError {
            PostgresWireError(
                code,
                reason,
                host: endpoint.host,
                port: endpoint.port,
                database: settings.database,
                user: settings.user,
                serverFields: fields,
                underlying: underlying
            )
        }
        var parameters: [(String, String)] = [
            ("user", settings.user),
            ("database", settings.database),
            ("replication", "database"),
            ("client_encoding", "UTF8"),
            ("application_name", settings.applicationName ?? configuration.defaultApplicationName),
        ]
        parameters.append(contentsOf: configuration.sessionParameters)
        if let options = settings.options {
            parameters.append(("options", options))
        }
        var machine = StartupStateMachine(user: settings.user, password: password)
        var iterator = inbound.makeAsyncIterator()
        var action = machine.start(parameters: parameters)
        while true {
            switch action {
            case .send(let message):
                do {
                    try await outbound.write(message)
                } catch {
                    throw failure(
                        Self.isTLSError(error) ? .tls : .connectionClosed,
                        "could not send during startup: \(error)",
                        nil,
                        error
                    )
                }
            case .wait:
                break
            case .ready(let serverParameters, _):
                return (
                    StartupResult(parameters: serverParameters, authenticationMethod: machine.authenticationMethod),
                    iterator
                )
            case .fail(let reason):
                switch reason {
                case .passwordRequired(let method):
                    throw failure(
                        .authenticationFailed,
                        "the server asks for a password (\(method)) and none is set: put it in the connection "
                            + "string, PGPASSWORD or ~/.pgpass"
                    )
                case .unsupportedAuthentication(let method):
                    throw failure(
                        .unsupportedAuthentication,
                        "the server asks for \(method), which pgcdc does not support"
                    )
                case .server(let fields):
                    let isAuth = fields.sqlState == "28P01" || fields.sqlState == "28000"
                    throw failure(
                        isAuth ? .authenticationFailed : .server,
                        isAuth
                            ? "authentication failed for user \"\(settings.user)\""
                            : "the server refused the connection",
                        fields
                    )
                case .sasl(let reason):
                    throw failure(.authenticationFailed, "SCRAM-SHA-256 authentication failed: \(reason)")
                case .unexpectedMessage(let message):
                    throw failure(.protocolViolation, "unexpected message during startup: \(message)")
                }
            }
            let next: InboundMessage?
            do {
                next = try await iterator.next()
            } catch {
                if Self.isTLSError(error) {
                    throw failure(.tls, "TLS failed: \(error)", nil, error)
                }
                throw failure(.connectionClosed, "the connection failed during startup: \(error)", nil, error)
            }
            guard case .backend(let message)? = next else {
                throw failure(.connectionClosed, "the server closed the connection during startup")
            }
            action = machine.received(message)
        }
    }

    /// Why this server does not fit `target_session_attrs`, or `nil` when it does.
    private func unsuitability(
        for attributes: TargetSessionAttributes,
        strictStandby: Bool
    ) async throws(PostgresWireError) -> String? {
        if attributes == .any || (attributes == .preferStandby && !strictStandby) {
            return nil
        }
        let inRecovery: Bool
        if let hotStandby = self.isHotStandby {
            inRecovery = hotStandby
        } else {
            let rows = try await self.simpleQuery("SELECT pg_catalog.pg_is_in_recovery()").first?.rows
            inRecovery = rows?.first?.first.flatMap { $0 } == "t"
        }
        let readOnly: Bool
        if let value = self.parameters["default_transaction_read_only"] {
            readOnly = inRecovery || value == "on"
        } else {
            readOnly = inRecovery
        }
        switch attributes {
        case .any:
            return nil
        case .readWrite:
            return readOnly
                ? "the server is read-only (\(inRecovery ? "a hot standby" : "default_transaction_read_only=on"))" : nil
        case .readOnly:
            return readOnly ? nil : "the server is read-write"
        case .primary:
            return inRecovery ? "the server is a hot standby, not the primary" : nil
        case .standby, .preferStandby:
            return inRecovery ? nil : "the server is not a standby"
        }
    }
}

extension ReplicationConnection {
    /// A short reason for a failed connect: "connection refused" rather than NIO's nested error dump.
    static func connectFailureReason(_ error: any Error) -> String {
        var causes: [any Error] = [error]
        if let connection = error as? NIOConnectionError {
            causes =
                connection.connectionErrors.map(\.error) + (connection.dnsAError.map { [$0] } ?? [])
                + (connection.dnsAAAAError.map { [$0] } ?? [])
        }
        for cause in causes {
            if let io = cause as? IOError {
                switch io.errnoCode {
                case ECONNREFUSED: return "connection refused (is the server running and listening on that port?)"
                case ETIMEDOUT: return "the connection timed out"
                case EHOSTUNREACH, ENETUNREACH: return "the host is unreachable"
                default: return io.description
                }
            }
        }
        if error is NIOConnectionError, causes.isEmpty { return "the host name could not be resolved" }
        return String(describing: causes.first ?? error)
    }

    static func isTLSError(_ error: any Error) -> Bool {
        error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError
    }
}

/// A flag set on the event loop and read from a task.
private final class ManagedAtomicFlag: @unchecked Sendable {
    // Safe: every access holds the lock.
    private let lock = NSLock()
    private var value = false

    func set() {
        self.lock.withLock { self.value = true }
    }

    var isSet: Bool { self.lock.withLock { self.value } }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension PostgresWireError {
    /// The reason with the server message, without the host (for lists of hosts).
    var shortReason: String {
        if let message = self.serverFields?.message, !self.reason.contains(message) {
            return "\(self.reason): \(message)"
        }
        return self.reason
    }
}
