public import NIOCore

/// The value of one column in a `pgoutput` tuple.
///
/// The bytes are a slice of the received message: no copy is made.
public enum TupleValue: Sendable, Hashable {
    /// SQL `NULL` (kind `n`).
    case null
    /// A TOASTed value that the row change did not modify, so the server did not send it (kind `u`).
    case unchangedToast
    /// The value in the type's text output format (kind `t`).
    case text(ByteBuffer)
    /// The value in the type's binary send format (kind `b`), sent with the `binary` option.
    case binary(ByteBuffer)

    /// The bytes of a text or binary value; `nil` for ``null`` and ``unchangedToast``.
    public var bytes: ByteBuffer? {
        switch self {
        case .null, .unchangedToast: nil
        case .text(let bytes), .binary(let bytes): bytes
        }
    }

    /// The value as a string when it is in text format; `nil` otherwise.
    ///
    /// - Note: this copies the bytes into a `String`; use ``bytes`` on hot paths.
    public var text: String? {
        guard case .text(let bytes) = self else { return nil }
        return String(buffer: bytes)
    }
}
