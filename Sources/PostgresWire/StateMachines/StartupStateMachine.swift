import NIOCore

/// The startup and authentication phase: from the startup packet to the first ReadyForQuery.
///
/// Pure: it does no I/O. The connection feeds it server messages and performs the actions it returns.
struct StartupStateMachine {
    /// Why startup failed.
    enum Failure: Error, Equatable {
        /// The server asked for a password and none is configured (no password, no matching ~/.pgpass line).
        case passwordRequired(method: String)
        /// The server asked for a method we do not implement (code or SASL mechanism names).
        case unsupportedAuthentication(String)
        /// The server sent an ErrorResponse (wrong password, no pg_hba.conf entry, unknown database, ...).
        case server(PostgresWireError.ServerFields)
        /// SCRAM failed on our side (bad server nonce, bad signature, malformed message).
        case sasl(String)
        /// A message that is not allowed during startup.
        case unexpectedMessage(String)
    }

    enum Action: Equatable {
        /// Send this message to the server.
        case send(FrontendMessage)
        /// Nothing to do; read the next message.
        case wait
        /// Startup is complete.
        case ready(parameters: [String: String], processID: Int32?)
        /// Startup failed; close the connection.
        case fail(Failure)
    }

    private enum State {
        case initial
        case authenticating
        case scramSentFirst(SCRAMSHA256Client)
        case scramSentFinal(SCRAMSHA256Client)
        case authenticated
        case ready
        case failed
    }

    private var state: State = .initial
    private let user: String
    private let password: String?
    private var parameters: [String: String] = [:]
    private var processID: Int32?
    /// The authentication method the server chose (for logs and errors): trust, password, md5, SCRAM-SHA-256.
    private(set) var authenticationMethod: String = "trust"

    init(user: String, password: String?) {
        self.user = user
        self.password = password
    }

    mutating func start(parameters: [(String, String)]) -> Action {
        guard case .initial = self.state else { preconditionFailure("startup already begun") }
        self.state = .authenticating
        return .send(.startup(parameters: parameters))
    }

    mutating func received(_ message: BackendMessage) -> Action {
        switch (self.state, message) {
        case (.failed, _), (.ready, _):
            return .wait
        case (_, .errorResponse(let fields)):
            self.state = .failed
            return .fail(.server(fields))
        case (_, .noticeResponse):
            return .wait
        case (.authenticating, .authentication(let request)):
            return self.authenticationRequested(request)
        case (.scramSentFirst(var client), .authentication(.saslContinue(let data))):
            do {
                let response = try client.receiveServerFirst(Array(buffer: data))
                self.state = .scramSentFinal(client)
                return .send(.saslResponse(response))
            } catch {
                self.state = .failed
                return .fail(.sasl(error.reason))
            }
        case (.scramSentFinal(var client), .authentication(.saslFinal(let data))):
            do {
                try client.receiveServerFinal(Array(buffer: data))
                self.state = .authenticating
                return .wait
            } catch {
                self.state = .failed
                return .fail(.sasl(error.reason))
            }
        case (.authenticated, .parameterStatus(let name, let value)):
            self.parameters[name] = value
            return .wait
        case (.authenticated, .backendKeyData(let pid, _)):
            self.processID = pid
            return .wait
        case (.authenticated, .negotiateProtocolVersion):
            return .wait
        case (.authenticated, .readyForQuery):
            self.state = .ready
            return .ready(parameters: self.parameters, processID: self.processID)
        default:
            self.state = .failed
            return .fail(.unexpectedMessage(String(describing: message)))
        }
    }

    private mutating func authenticationRequested(_ request: AuthenticationRequest) -> Action {
        switch request {
        case .ok:
            self.state = .authenticated
            return .wait
        case .cleartextPassword:
            self.authenticationMethod = "password"
            guard let password else { return self.failPasswordRequired() }
            return .send(.password(password))
        case .md5Password(let salt):
            self.authenticationMethod = "md5"
            guard let password else { return self.failPasswordRequired() }
            return .send(.password(MD5Password.hash(user: self.user, password: password, salt: salt)))
        case .sasl(let mechanisms):
            self.authenticationMethod = SCRAMSHA256Client.mechanism
            guard mechanisms.contains(SCRAMSHA256Client.mechanism) else {
                self.state = .failed
                return .fail(.unsupportedAuthentication("SASL mechanisms \(mechanisms.joined(separator: ", "))"))
            }
            guard let password else { return self.failPasswordRequired() }
            var client = SCRAMSHA256Client(username: self.user, password: password)
            let first = client.clientFirstMessage()
            self.state = .scramSentFirst(client)
            return .send(.saslInitialResponse(mechanism: SCRAMSHA256Client.mechanism, data: first))
        case .saslContinue, .saslFinal:
            self.state = .failed
            return .fail(.unexpectedMessage("SASL message without SASL authentication"))
        case .unsupported(let code):
            self.state = .failed
            let names: [Int32: String] = [2: "Kerberos V5", 6: "SCM credentials", 7: "GSSAPI", 9: "SSPI"]
            return .fail(.unsupportedAuthentication(names[code] ?? "authentication code \(code)"))
        }
    }

    private mutating func failPasswordRequired() -> Action {
        self.state = .failed
        return .fail(.passwordRequired(method: self.authenticationMethod))
    }
}
