import NIOCore
import Testing

@testable import PostgresWire

@Suite struct StartupStateMachineTests {
    @Test func trustGoesStraightToReady() {
        var machine = StartupStateMachine(user: "u", password: nil)
        #expect(machine.start(parameters: [("user", "u")]) == .send(.startup(parameters: [("user", "u")])))
        #expect(machine.received(.authentication(.ok)) == .wait)
        #expect(machine.received(.parameterStatus(name: "server_version", value: "15.18")) == .wait)
        #expect(machine.received(.parameterStatus(name: "in_hot_standby", value: "off")) == .wait)
        #expect(machine.received(.backendKeyData(processID: 7, secretKey: ByteBuffer())) == .wait)
        #expect(
            machine.received(.readyForQuery(transactionStatus: UInt8(ascii: "I")))
                == .ready(parameters: ["server_version": "15.18", "in_hot_standby": "off"], processID: 7)
        )
        #expect(machine.authenticationMethod == "trust")
    }

    @Test func cleartextAndMD5SendThePassword() {
        var clear = StartupStateMachine(user: "u", password: "pw")
        _ = clear.start(parameters: [])
        #expect(clear.received(.authentication(.cleartextPassword)) == .send(.password("pw")))

        var md5 = StartupStateMachine(user: "md5user", password: "secret")
        _ = md5.start(parameters: [])
        let salt: (UInt8, UInt8, UInt8, UInt8) = (1, 2, 3, 4)
        #expect(
            md5.received(.authentication(.md5Password(salt: salt)))
                == .send(.password(MD5Password.hash(user: "md5user", password: "secret", salt: salt)))
        )
        #expect(md5.authenticationMethod == "md5")
    }

    @Test func missingPasswordFailsClearly() {
        var machine = StartupStateMachine(user: "u", password: nil)
        _ = machine.start(parameters: [])
        #expect(
            machine.received(.authentication(.md5Password(salt: (0, 0, 0, 0))))
                == .fail(.passwordRequired(method: "md5"))
        )
    }

    @Test func scramStartsWithTheClientFirstMessage() {
        var machine = StartupStateMachine(user: "u", password: "pw")
        _ = machine.start(parameters: [])
        guard
            case .send(.saslInitialResponse(let mechanism, let data)) = machine.received(
                .authentication(.sasl(mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]))
            )
        else {
            Issue.record("expected a SASLInitialResponse")
            return
        }
        #expect(mechanism == "SCRAM-SHA-256")
        #expect(String(decoding: data, as: UTF8.self).hasPrefix("n,,"))
        // A server-first message that does not extend our nonce must fail.
        let bogus = ByteBuffer(string: "r=someoneelse,s=QSXCR+Q6sek8bf92,i=4096")
        guard case .fail(.sasl) = machine.received(.authentication(.saslContinue(bogus))) else {
            Issue.record("expected a SASL failure")
            return
        }
    }

    @Test func unsupportedMethodsAndServerErrorsFail() {
        var gss = StartupStateMachine(user: "u", password: "pw")
        _ = gss.start(parameters: [])
        #expect(gss.received(.authentication(.unsupported(code: 7))) == .fail(.unsupportedAuthentication("GSSAPI")))

        var refused = StartupStateMachine(user: "u", password: "pw")
        _ = refused.start(parameters: [])
        let fields = PostgresWireError.ServerFields(
            severity: "FATAL",
            sqlState: "28P01",
            message: "password authentication failed for user \"u\""
        )
        #expect(refused.received(.authentication(.cleartextPassword)) == .send(.password("pw")))
        #expect(refused.received(.errorResponse(fields)) == .fail(.server(fields)))
    }

    @Test func unexpectedMessagesFail() {
        var machine = StartupStateMachine(user: "u", password: nil)
        _ = machine.start(parameters: [])
        guard case .fail(.unexpectedMessage) = machine.received(.copyBothResponse) else {
            Issue.record("expected a failure")
            return
        }
    }
}
