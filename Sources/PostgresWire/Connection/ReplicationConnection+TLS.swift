import Foundation
import NIOCore
import NIOSSL

/// One way of trying a host: with or without TLS, and whether TLS is mandatory.
enum TLSPlan: Equatable {
    /// No SSLRequest.
    case plaintext
    /// Send SSLRequest; continue in plaintext when the server says no.
    case optional
    /// Send SSLRequest; the server must say yes.
    case required

    /// The attempts libpq makes for an sslmode, in order.
    static func attempts(for mode: SSLMode) -> [TLSPlan] {
        switch mode {
        case .disable: [.plaintext]
        case .allow: [.plaintext, .required]
        case .prefer: [.optional, .plaintext]
        case .require, .verifyCA, .verifyFull: [.required]
        }
    }
}

extension ReplicationConnection {
    /// Negotiates TLS on a fresh channel as `plan` and `settings.sslMode` say.
    /// - Returns: whether the connection is now encrypted.
    static func negotiateTLS(
        channel: any Channel,
        endpoint: ConnectionSettings.Endpoint,
        settings: ConnectionSettings,
        plan: TLSPlan,
        recorder: TLSErrorRecorder
    ) async throws -> Bool {
        guard plan != .plaintext else { return false }
        guard !endpoint.isUnixSocket else { return false }  // libpq does not use TLS over Unix sockets
        let context = try settings.makeTLSContext(for: endpoint)
        let answer = channel.eventLoop.makePromise(of: Bool.self)
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(SSLNegotiationHandler(promise: answer))
        }.get()
        let accepted = try await answer.futureResult.get()
        guard accepted else {
            if plan == .required {
                throw PostgresWireError(
                    .tls,
                    "the server does not support TLS, but sslmode=\(settings.sslMode.rawValue) requires it",
                    host: endpoint.host,
                    port: endpoint.port
                )
            }
            return false
        }
        let hostname = Self.isIPAddress(endpoint.host) ? nil : endpoint.host
        try await channel.eventLoop.submit {
            let handler = try NIOSSLClientHandler(context: context, serverHostname: hostname)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            try channel.pipeline.syncOperations.addHandler(recorder, position: .after(handler))
        }.get()
        return true
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
