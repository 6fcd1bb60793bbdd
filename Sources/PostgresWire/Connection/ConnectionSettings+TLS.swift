import Foundation
public import NIOSSL

extension ConnectionSettings {
    /// The TLS context libpq's `sslmode`, `sslrootcert`, `sslcert` and `sslkey` describe, for one endpoint.
    ///
    /// `verify-full` checks the host name (or, for an IP address, the certificate's IP entries); `verify-ca`
    /// and `require` with a root certificate check the chain only; `require` without one, `prefer` and `allow`
    /// check nothing.
    /// - Parameter endpoint: the host the context is for (for error messages).
    /// - Returns: the context.
    /// - Throws: ``PostgresWireError`` with code `.tls` when a certificate file is missing or unreadable.
    public func makeTLSContext(for endpoint: Endpoint) throws -> NIOSSLContext {
        let settings = self
        var tls = TLSConfiguration.makeClientConfiguration()
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let defaultRoot = "\(home)/.postgresql/root.crt"
        var rootCert = settings.sslRootCert
        if rootCert == nil, FileManager.default.fileExists(atPath: defaultRoot) {
            rootCert = defaultRoot
        }
        switch settings.sslMode {
        case .verifyFull:
            tls.certificateVerification = .fullVerification
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
        case .require where rootCert != nil:
            // libpq: with a root certificate present, require behaves like verify-ca.
            tls.certificateVerification = .noHostnameVerification
        case .disable, .allow, .prefer, .require:
            tls.certificateVerification = .none
        }
        if tls.certificateVerification != .none {
            switch rootCert {
            case "system":
                tls.trustRoots = .default
            case let path?:
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw PostgresWireError(
                        .tls,
                        "the root certificate file \(path) cannot be read (sslrootcert)",
                        host: endpoint.host,
                        port: endpoint.port
                    )
                }
                tls.trustRoots = .file(path)
            case nil:
                throw PostgresWireError(
                    .tls,
                    "sslmode=\(settings.sslMode.rawValue) needs a root certificate: set sslrootcert (or "
                        + "sslrootcert=system) or put it in ~/.postgresql/root.crt",
                    host: endpoint.host,
                    port: endpoint.port
                )
            }
        }
        if let certPath = settings.sslCert, let keyPath = settings.sslKey {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certPath).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        }
        return try NIOSSLContext(configuration: tls)
    }
}
