public import NIOCore

/// A message from the server, as far as a walsender client needs them.
///
/// Payloads that may be large (`CopyData`, `DataRow` columns) are slices of the received buffer, not copies.
public enum BackendMessage: Sendable, Equatable {
    /// `R`: an authentication request or result.
    case authentication(AuthenticationRequest)
    /// `S`: a run-time parameter (server_version, in_hot_standby, ...).
    case parameterStatus(name: String, value: String)
    /// `K`: the cancellation key (only logged; replication connections are not cancelled).
    case backendKeyData(processID: Int32, secretKey: ByteBuffer)
    /// `Z`: ready for a new query; the transaction status byte (`I`, `T`, `E`).
    case readyForQuery(transactionStatus: UInt8)
    /// `T`: the columns of the rows that follow.
    case rowDescription([String])
    /// `D`: a row; `nil` is SQL NULL.
    case dataRow([ByteBuffer?])
    /// `C`: a command finished, with its tag (`SELECT 1`, `CREATE_REPLICATION_SLOT`, ...).
    case commandComplete(String)
    /// `I`: an empty query string.
    case emptyQueryResponse
    /// `E`: the server reports an error.
    case errorResponse(PostgresWireError.ServerFields)
    /// `N`: the server reports a notice.
    case noticeResponse(PostgresWireError.ServerFields)
    /// `W`: CopyBoth mode begins (START_REPLICATION).
    case copyBothResponse
    /// `H`: CopyOut mode begins (TIMELINE_HISTORY is a result set, but some servers stream files this way).
    case copyOutResponse
    /// `d`: data of the copy stream.
    case copyData(ByteBuffer)
    /// `c`: the sender has finished the copy stream.
    case copyDone
    /// `A`: a LISTEN notification (not expected on a walsender, kept for completeness).
    case notification(processID: Int32, channel: String, payload: String)
    /// `v`: the server does not support a requested minor protocol version or option.
    case negotiateProtocolVersion(newestMinorVersion: Int32, unrecognizedOptions: [String])
}

/// The payload of an `R` message.
public enum AuthenticationRequest: Sendable, Equatable {
    /// 0: authenticated.
    case ok
    /// 3: send the password in clear text.
    case cleartextPassword
    /// 5: send the MD5-hashed password with this salt.
    case md5Password(salt: (UInt8, UInt8, UInt8, UInt8))
    /// 10: SASL; the mechanisms the server offers.
    case sasl(mechanisms: [String])
    /// 11: a SASL challenge.
    case saslContinue(ByteBuffer)
    /// 12: the last SASL message (server signature).
    case saslFinal(ByteBuffer)
    /// Any other method (Kerberos 2, SCM 6, GSS 7, SSPI 9, ...), which this client does not implement.
    case unsupported(code: Int32)

    public static func == (lhs: AuthenticationRequest, rhs: AuthenticationRequest) -> Bool {
        switch (lhs, rhs) {
        case (.ok, .ok), (.cleartextPassword, .cleartextPassword): true
        case (.md5Password(let a), .md5Password(let b)): a == b
        case (.sasl(let a), .sasl(let b)): a == b
        case (.saslContinue(let a), .saslContinue(let b)), (.saslFinal(let a), .saslFinal(let b)): a == b
        case (.unsupported(let a), .unsupported(let b)): a == b
        default: false
        }
    }
}
