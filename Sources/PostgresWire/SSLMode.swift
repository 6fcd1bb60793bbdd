/// How a connection uses TLS: libpq's `sslmode` parameter.
///
/// The raw values are libpq's spellings, so `SSLMode(rawValue: "verify-full")` parses a connection string value.
public enum SSLMode: String, Sendable, Hashable, CaseIterable {
    /// Plain TCP only; never ask for TLS.
    case disable
    /// Try plain TCP first; use TLS only if the server insists.
    case allow
    /// Try TLS first; fall back to plain TCP if the server does not offer it. libpq's default.
    case prefer
    /// TLS is mandatory, but the server certificate is not verified.
    case require
    /// TLS is mandatory and the server certificate must chain to a trusted root (`sslrootcert`).
    case verifyCA = "verify-ca"
    /// As ``verifyCA``, and the certificate must also name the host connected to.
    case verifyFull = "verify-full"
}
