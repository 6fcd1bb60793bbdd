public import NIOCore

/// A message from us to the server.
public enum FrontendMessage: Sendable, Equatable {
    /// The startup packet (protocol 3.0) with its parameters, in order.
    case startup(parameters: [(String, String)])
    /// `SSLRequest`: ask the server whether it will speak TLS.
    case sslRequest
    /// `p`: a cleartext or MD5-hashed password.
    case password(String)
    /// `p`: the first SASL message, naming the mechanism.
    case saslInitialResponse(mechanism: String, data: [UInt8])
    /// `p`: a further SASL message.
    case saslResponse([UInt8])
    /// `Q`: a simple query (the only kind a walsender accepts).
    case query(String)
    /// `d`: copy data (standby status updates travel this way).
    case copyData(ByteBuffer)
    /// `c`: we have finished our side of the copy stream.
    case copyDone
    /// `X`: we are closing the connection.
    case terminate

    public static func == (lhs: FrontendMessage, rhs: FrontendMessage) -> Bool {
        switch (lhs, rhs) {
        case (.startup(let a), .startup(let b)): a.elementsEqual(b, by: { $0 == $1 })
        case (.sslRequest, .sslRequest), (.copyDone, .copyDone), (.terminate, .terminate): true
        case (.password(let a), .password(let b)), (.query(let a), .query(let b)): a == b
        case (.saslInitialResponse(let m1, let d1), .saslInitialResponse(let m2, let d2)): m1 == m2 && d1 == d2
        case (.saslResponse(let a), .saslResponse(let b)): a == b
        case (.copyData(let a), .copyData(let b)): a == b
        default: false
        }
    }
}

extension FrontendMessage: CustomStringConvertible {
    /// A description that never shows passwords or authentication data.
    public var description: String {
        switch self {
        case .startup(let parameters): "Startup(\(parameters.map { "\($0.0)=\($0.1)" }.joined(separator: " ")))"
        case .sslRequest: "SSLRequest"
        case .password: "PasswordMessage(***)"
        case .saslInitialResponse(let mechanism, _): "SASLInitialResponse(\(mechanism), ***)"
        case .saslResponse: "SASLResponse(***)"
        case .query(let sql): "Query(\(sql))"
        case .copyData(let data): "CopyData(\(data.readableBytes) bytes)"
        case .copyDone: "CopyDone"
        case .terminate: "Terminate"
        }
    }
}
