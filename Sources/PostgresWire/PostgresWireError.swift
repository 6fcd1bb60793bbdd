/// An error of the replication wire layer: connection strings, connecting, authentication, TLS, the protocol
/// and the server's own errors.
///
/// It carries the context needed to act on it (host, port, database, slot, LSN, the server's SQLSTATE, message,
/// detail and hint). ``description`` is one sentence without passwords or full connection strings;
/// ``debugDescription`` adds the rest.
public struct PostgresWireError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. Extensible: match on the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidConnectionString
            case passfile
            case connectionFailed
            case connectTimeout
            case noSuitableHost
            case authenticationFailed
            case unsupportedAuthentication
            case tls
            case server
            case protocolViolation
            case messageTooLarge
            case connectionClosed
            case unsupportedFeature
            case invalidArgument
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A connection string (URI or key=value) that cannot be parsed, or names an unknown parameter.
        public static let invalidConnectionString = Code(.invalidConnectionString)
        /// The password file could not be read.
        public static let passfile = Code(.passfile)
        /// The TCP (or Unix socket) connection could not be made.
        public static let connectionFailed = Code(.connectionFailed)
        /// `connect_timeout` passed before the server answered.
        public static let connectTimeout = Code(.connectTimeout)
        /// Every host of a multi-host connection string was tried and none fitted.
        public static let noSuitableHost = Code(.noSuitableHost)
        /// The server refused the credentials.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The server asked for an authentication method this client does not implement.
        public static let unsupportedAuthentication = Code(.unsupportedAuthentication)
        /// TLS negotiation or certificate verification failed.
        public static let tls = Code(.tls)
        /// The server sent an ErrorResponse.
        public static let server = Code(.server)
        /// The server sent something the protocol does not allow at this point.
        public static let protocolViolation = Code(.protocolViolation)
        /// A message longer than the configured maximum.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// The connection was closed (by the server, the network or us).
        public static let connectionClosed = Code(.connectionClosed)
        /// The server is too old for the requested feature.
        public static let unsupportedFeature = Code(.unsupportedFeature)
        /// An argument of ours is not acceptable (for example an empty slot name).
        public static let invalidArgument = Code(.invalidArgument)

        public var description: String { self.base.rawValue }
    }

    /// The fields of a server ErrorResponse or NoticeResponse.
    public struct ServerFields: Sendable, Hashable {
        /// `ERROR`, `FATAL`, `PANIC`, `WARNING`, `NOTICE`, ... (not localized).
        public var severity: String?
        /// The SQLSTATE code, for example `42704`.
        public var sqlState: String?
        /// The primary message.
        public var message: String?
        /// The optional detail.
        public var detail: String?
        /// The optional hint.
        public var hint: String?
        /// The server routine that raised it.
        public var routine: String?

        /// Creates server fields.
        public init(
            severity: String? = nil,
            sqlState: String? = nil,
            message: String? = nil,
            detail: String? = nil,
            hint: String? = nil,
            routine: String? = nil
        ) {
            self.severity = severity
            self.sqlState = sqlState
            self.message = message
            self.detail = detail
            self.hint = hint
            self.routine = routine
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, in words, without secrets.
    public var reason: String
    /// The host the failure concerns.
    public var host: String?
    /// The port the failure concerns.
    public var port: Int?
    /// The database the failure concerns.
    public var database: String?
    /// The user the failure concerns.
    public var user: String?
    /// The replication slot the failure concerns.
    public var slot: String?
    /// The WAL position the failure concerns.
    public var lsn: LSN?
    /// The server's error fields, for ``Code/server`` and authentication failures.
    public var serverFields: ServerFields?
    /// The error that caused this one.
    public var underlying: (any Error)?
    /// Where in our code the error was made.
    public var file: String
    /// Where in our code the error was made.
    public var line: Int

    /// Creates an error.
    /// - Parameters:
    ///   - code: what kind of failure this is.
    ///   - reason: what went wrong, without secrets.
    ///   - host: the host concerned.
    ///   - port: the port concerned.
    ///   - database: the database concerned.
    ///   - user: the user concerned.
    ///   - slot: the slot concerned.
    ///   - lsn: the WAL position concerned.
    ///   - serverFields: the server's ErrorResponse fields.
    ///   - underlying: the cause.
    ///   - file: where in our code (defaults to the caller).
    ///   - line: where in our code (defaults to the caller).
    public init(
        _ code: Code,
        _ reason: String,
        host: String? = nil,
        port: Int? = nil,
        database: String? = nil,
        user: String? = nil,
        slot: String? = nil,
        lsn: LSN? = nil,
        serverFields: ServerFields? = nil,
        underlying: (any Error)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.reason = reason
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.slot = slot
        self.lsn = lsn
        self.serverFields = serverFields
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    /// One sentence: what went wrong and where, with the server's hint when it gave one.
    public var description: String {
        var text = self.reason
        if let host {
            text += " (server \(host)" + (port.map { ":\($0)" } ?? "") + ")"
        }
        if let message = serverFields?.message, !self.reason.contains(message) {
            text += ": \(message)"
        }
        if let hint = serverFields?.hint {
            text += ". Hint: \(hint)"
        }
        return text
    }

    /// Everything this error knows.
    public var debugDescription: String {
        var parts = ["PostgresWireError(code: \(code)", "reason: \(reason)"]
        if let host { parts.append("host: \(host)") }
        if let port { parts.append("port: \(port)") }
        if let database { parts.append("database: \(database)") }
        if let user { parts.append("user: \(user)") }
        if let slot { parts.append("slot: \(slot)") }
        if let lsn { parts.append("lsn: \(lsn)") }
        if let fields = serverFields {
            if let severity = fields.severity { parts.append("severity: \(severity)") }
            if let sqlState = fields.sqlState { parts.append("sqlState: \(sqlState)") }
            if let message = fields.message { parts.append("message: \(message)") }
            if let detail = fields.detail { parts.append("detail: \(detail)") }
            if let hint = fields.hint { parts.append("hint: \(hint)") }
            if let routine = fields.routine { parts.append("routine: \(routine)") }
        }
        if let underlying { parts.append("underlying: \(String(reflecting: underlying))") }
        parts.append("at: \(file):\(line))")
        return parts.joined(separator: ", ")
    }
}
