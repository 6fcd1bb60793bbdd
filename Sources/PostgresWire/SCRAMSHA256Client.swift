import Crypto
import Foundation
import _CryptoExtras

/// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding (GS2 header `n,,`), as
/// PostgreSQL's `AuthenticationSASL` exchange uses it.
///
/// The exchange, with the bytes carried in SASLInitialResponse / SASLResponse and AuthenticationSASLContinue /
/// AuthenticationSASLFinal messages:
/// ```swift
/// var scram = SCRAMSHA256Client(username: "", password: password)
/// let clientFirst = scram.clientFirstMessage()                 // SASLInitialResponse("SCRAM-SHA-256", ...)
/// let clientFinal = try scram.receiveServerFirst(serverFirst)  // SASLResponse
/// try scram.receiveServerFinal(serverFinal)                    // verifies the server; then AuthenticationOk
/// ```
///
/// PostgreSQL ignores the user name inside SCRAM and uses the one of the startup message; libpq sends an empty
/// name (`n=`), and so can you by passing `""`. The password is prepared with SASLprep as far as this
/// implementation goes; see the notes of `SASLprep` in the source: ASCII passwords are used as they are, and
/// passwords SASLprep rejects are used as raw UTF-8 bytes, as the PostgreSQL server does.
///
/// Printing the value never shows the password.
public struct SCRAMSHA256Client: Sendable {
    /// The SASL mechanism name to send in SASLInitialResponse.
    public static let mechanism = "SCRAM-SHA-256"
    /// The highest iteration count accepted from a server (PostgreSQL's default is 4096); more would let a
    /// hostile server keep the client busy for minutes.
    public static let maximumIterationCount = 10_000_000

    private enum State: Sendable {
        case initial
        case sentClientFirst
        case sentClientFinal(expectedServerSignature: [UInt8])
        case finished
        case failed
    }

    private let saslName: String
    private let preparedPassword: [UInt8]
    private let clientNonce: String
    private var state: State = .initial

    /// Creates the client side of one exchange.
    /// - Precondition: `clientNonce`, when given, is non-empty printable ASCII without `,`.
    /// - Parameters:
    ///   - username: the name put in the client-first message; PostgreSQL ignores it (pass `""` as libpq does).
    ///   - password: the password.
    ///   - clientNonce: the client nonce, for tests; `nil` draws 24 random bytes, base64-encoded.
    public init(username: String, password: String, clientNonce: String? = nil) {
        if let clientNonce {
            precondition(Self.isValidNonce(clientNonce[...]), "a SCRAM nonce is printable ASCII without ','")
            self.clientNonce = clientNonce
        } else {
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            self.clientNonce = Data(bytes).base64EncodedString()
        }
        self.saslName = username.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
        self.preparedPassword = SASLprep.prepare(password)
    }

    private var clientFirstMessageBare: String { "n=\(self.saslName),r=\(self.clientNonce)" }

    /// The client-first message, `n,,n=<user>,r=<nonce>`, to send in SASLInitialResponse.
    ///
    /// Calling it again before the server answers returns the same bytes.
    /// - Returns: the message bytes.
    public mutating func clientFirstMessage() -> [UInt8] {
        if case .initial = self.state {
            self.state = .sentClientFirst
        }
        return Array(("n,," + self.clientFirstMessageBare).utf8)
    }

    /// Reads the server-first message (`r=<nonce>,s=<salt>,i=<iterations>`) and computes the proof.
    /// - Parameter message: the data of AuthenticationSASLContinue.
    /// - Returns: the client-final message, `c=biws,r=<nonce>,p=<proof>`, to send in SASLResponse.
    /// - Throws: ``PostgresWireError`` with ``PostgresWireError/Code/protocolViolation`` when the message is
    ///   malformed, out of order, has a server nonce that does not extend ours, a salt that is not base64, an
    ///   iteration count outside 1...``maximumIterationCount``, or a mandatory extension (`m=`).
    public mutating func receiveServerFirst(_ message: [UInt8]) throws(PostgresWireError) -> [UInt8] {
        guard case .sentClientFirst = self.state else {
            throw Self.violation("server-first message arrived before the client-first message was sent")
        }
        do {
            let (clientFinal, serverSignature) = try self.clientFinal(serverFirst: message)
            self.state = .sentClientFinal(expectedServerSignature: serverSignature)
            return clientFinal
        } catch {
            self.state = .failed
            throw error
        }
    }

    /// Reads the server-final message and verifies the server's signature.
    /// - Parameter message: the data of AuthenticationSASLFinal.
    /// - Throws: ``PostgresWireError`` with ``PostgresWireError/Code/authenticationFailed`` when the server
    ///   reports an error (`e=...`) or its signature is wrong (it does not know the password: an impostor), and
    ///   ``PostgresWireError/Code/protocolViolation`` when the message is malformed or out of order.
    public mutating func receiveServerFinal(_ message: [UInt8]) throws(PostgresWireError) {
        guard case .sentClientFinal(let expected) = self.state else {
            throw Self.violation("server-final message arrived before the client-final message was sent")
        }
        self.state = .failed
        let attributes = try Self.attributes(message, what: "server-final")
        guard let first = attributes.first else {
            throw Self.violation("server-final message is empty")
        }
        switch first.name {
        case "e":
            throw PostgresWireError(
                .authenticationFailed,
                "SCRAM authentication failed: the server reported \"\(first.value)\""
            )
        case "v":
            guard let signature = Data(base64Encoded: String(first.value)) else {
                throw Self.violation("server signature in the server-final message is not base64")
            }
            guard Self.constantTimeEqual(Array(signature), expected) else {
                throw PostgresWireError(
                    .authenticationFailed,
                    "SCRAM authentication failed: the server's signature is wrong (it does not know the password)"
                )
            }
            self.state = .finished
        default:
            throw Self.violation("server-final message starts with \"\(first.name)=\", expected \"v=\" or \"e=\"")
        }
    }

    /// Parses server-first and computes client-final and the server signature to expect.
    private func clientFinal(serverFirst message: [UInt8]) throws(PostgresWireError) -> ([UInt8], [UInt8]) {
        let attributes = try Self.attributes(message, what: "server-first")
        if attributes.first?.name == "m" {
            throw Self.violation("server-first message asks for a mandatory extension this client does not support")
        }
        guard attributes.count >= 3, attributes[0].name == "r", attributes[1].name == "s", attributes[2].name == "i"
        else {
            throw Self.violation("server-first message is not \"r=...,s=...,i=...\"")
        }
        let nonce = attributes[0].value
        guard nonce.hasPrefix(self.clientNonce), nonce.count > self.clientNonce.count, Self.isValidNonce(nonce)
        else {
            throw Self.violation("server nonce does not extend the client nonce")
        }
        guard let salt = Data(base64Encoded: String(attributes[1].value)), !salt.isEmpty else {
            throw Self.violation("salt in the server-first message is not base64")
        }
        let iterationText = attributes[2].value
        guard iterationText.allSatisfy({ $0.isASCII && $0.isNumber }), let iterations = Int(iterationText),
            (1...Self.maximumIterationCount).contains(iterations)
        else {
            throw Self.violation(
                "iteration count in the server-first message is not a number from 1 to \(Self.maximumIterationCount)"
            )
        }

        let saltedPassword: SymmetricKey
        do {
            saltedPassword = try KDF.Insecure.PBKDF2.deriveKey(
                from: self.preparedPassword,
                salt: salt,
                using: .sha256,
                outputByteCount: SHA256.byteCount,
                unsafeUncheckedRounds: iterations
            )
        } catch {
            throw PostgresWireError(
                .authenticationFailed,
                "SCRAM authentication failed: could not derive the salted password",
                underlying: error
            )
        }
        let clientKey = Array(HMAC<SHA256>.authenticationCode(for: Array("Client Key".utf8), using: saltedPassword))
        let storedKey = Array(SHA256.hash(data: clientKey))
        let serverKey = Array(HMAC<SHA256>.authenticationCode(for: Array("Server Key".utf8), using: saltedPassword))

        // "biws" is base64("n,,"): the GS2 header without channel binding.
        let clientFinalWithoutProof = "c=biws,r=\(nonce)"
        let serverFirst = String(decoding: message, as: UTF8.self)
        let authMessage = Array("\(self.clientFirstMessageBare),\(serverFirst),\(clientFinalWithoutProof)".utf8)
        let clientSignature = Array(
            HMAC<SHA256>.authenticationCode(for: authMessage, using: SymmetricKey(data: storedKey))
        )
        let clientProof = zip(clientKey, clientSignature).map { $0 ^ $1 }
        let serverSignature = Array(
            HMAC<SHA256>.authenticationCode(for: authMessage, using: SymmetricKey(data: serverKey))
        )
        let clientFinal = "\(clientFinalWithoutProof),p=\(Data(clientProof).base64EncodedString())"
        return (Array(clientFinal.utf8), serverSignature)
    }

    /// Splits a SCRAM message into its `name=value` attributes.
    private static func attributes(
        _ message: [UInt8],
        what: String
    ) throws(PostgresWireError) -> [(name: Character, value: Substring)] {
        guard let text = String(validating: message, as: UTF8.self) else {
            throw Self.violation("\(what) message is not valid UTF-8")
        }
        var attributes: [(name: Character, value: Substring)] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard part.count >= 2, let name = part.first, name.isASCII, name.isLetter,
                part[part.index(after: part.startIndex)] == "="
            else {
                throw Self.violation("\(what) message has a malformed attribute (expected \"x=value\")")
            }
            attributes.append((name, part.dropFirst(2)))
        }
        return attributes
    }

    /// A nonce is printable ASCII (0x21...0x7E) other than `,`.
    private static func isValidNonce(_ nonce: Substring) -> Bool {
        !nonce.isEmpty && nonce.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ",") }
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func violation(_ reason: String) -> PostgresWireError {
        PostgresWireError(.protocolViolation, "SCRAM-SHA-256: " + reason)
    }
}

extension SCRAMSHA256Client: CustomStringConvertible, CustomReflectable {
    /// The mechanism and the state, never the password.
    public var description: String { "SCRAMSHA256Client(state: \(self.state))" }

    /// Hides the password from `dump(_:)` and debuggers.
    public var customMirror: Mirror { Mirror(self, children: ["state": self.state], displayStyle: .struct) }
}
