import PostgresWire
import Testing

@Suite struct SCRAMSHA256ClientTests {
    // RFC 7677 section 3.
    static let rfcServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    static let rfcClientFinal =
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    static let rfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

    static func rfcClient() -> SCRAMSHA256Client {
        SCRAMSHA256Client(username: "user", password: "pencil", clientNonce: "rOprNGfwEbeRWgbNEkqO")
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func rfc7677Vector() throws {
        var client = Self.rfcClient()
        #expect(Self.text(client.clientFirstMessage()) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        let clientFinal = try client.receiveServerFirst(Array(Self.rfcServerFirst.utf8))
        #expect(Self.text(clientFinal) == Self.rfcClientFinal)
        try client.receiveServerFinal(Array(Self.rfcServerFinal.utf8))
    }

    /// Computed independently with Python's hashlib/hmac: PostgreSQL style, empty user name.
    @Test func postgresStyleExchangeWithEmptyUserName() throws {
        var client = SCRAMSHA256Client(username: "", password: "secret", clientNonce: "fyko+d2lbbFgONRv9qkxdawL")
        #expect(Self.text(client.clientFirstMessage()) == "n,,n=,r=fyko+d2lbbFgONRv9qkxdawL")
        let clientFinal = try client.receiveServerFirst(
            Array("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=AAECAwQFBgcICQoLDA0ODw==,i=4096".utf8)
        )
        #expect(
            Self.text(clientFinal)
                == "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=QAS2ilM+3E4GaoyzIOB1Gir/DPULC0L0oZ8S2/YPIVk="
        )
        try client.receiveServerFinal(Array("v=+AREbRFr7m8X/QYkYSKX5sFRifjvkOWkcGo4Glo6G+s=".utf8))
    }

    /// Computed independently with Python from the NFC UTF-8 bytes of "pässwörd"; the NFD spelling must give the
    /// same proof once SASLprep normalizes it.
    @Test(arguments: ["p\u{E4}ssw\u{F6}rd", "pa\u{308}sswo\u{308}rd"])
    func nonASCIIPasswordIsNormalized(password: String) throws {
        var client = SCRAMSHA256Client(username: "", password: password, clientNonce: "abcdefghijklmnop")
        _ = client.clientFirstMessage()
        let clientFinal = try client.receiveServerFirst(Array("r=abcdefghijklmnopQRSTUV,s=c2FsdHNhbHRzYWx0,i=1".utf8))
        #expect(
            Self.text(clientFinal)
                == "c=biws,r=abcdefghijklmnopQRSTUV,p=8njayyPhM3nHn1C0vZ6nFdeTPNO9es/YONAcRu2aP2g="
        )
        try client.receiveServerFinal(Array("v=TyPV6PqJZH36VieJQ99tBAf6u4pnh4CbLaukv43DizI=".utf8))
    }

    @Test func nonASCIISpaceIsMappedToSpace() throws {
        func proof(_ password: String) throws -> [UInt8] {
            var client = SCRAMSHA256Client(username: "", password: password, clientNonce: "abc")
            _ = client.clientFirstMessage()
            return try client.receiveServerFirst(Array("r=abcdef,s=c2FsdA==,i=2".utf8))
        }
        #expect(try proof("a\u{A0}b") == proof("a b"))
        #expect(try proof("a\u{A0}b") != proof("ab"))
    }

    @Test func escapesUserName() {
        var client = SCRAMSHA256Client(username: "a,b=c", password: "x", clientNonce: "n")
        #expect(Self.text(client.clientFirstMessage()) == "n,,n=a=2Cb=3Dc,r=n")
    }

    @Test func randomNonceIsFreshAndPrintable() {
        var first = SCRAMSHA256Client(username: "", password: "x")
        var second = SCRAMSHA256Client(username: "", password: "x")
        let a = Self.text(first.clientFirstMessage())
        let b = Self.text(second.clientFirstMessage())
        #expect(a != b)
        #expect(a.hasPrefix("n,,n=,r="))
        let nonce = a.dropFirst("n,,n=,r=".count)
        #expect(nonce.count == 32)  // 24 bytes in base64
        #expect(!nonce.contains(","))
    }

    @Test func tamperedServerSignatureFails() throws {
        var client = Self.rfcClient()
        _ = client.clientFirstMessage()
        _ = try client.receiveServerFirst(Array(Self.rfcServerFirst.utf8))
        let error = #expect(throws: PostgresWireError.self) {
            // Flip the first character: the last one before "=" carries padding bits a decoder may ignore.
            try client.receiveServerFinal(Array("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8))
        }
        #expect(error?.code == .authenticationFailed)
    }

    @Test func wrongPasswordGivesADifferentProofAndFailsVerification() throws {
        var client = SCRAMSHA256Client(username: "user", password: "pencil2", clientNonce: "rOprNGfwEbeRWgbNEkqO")
        _ = client.clientFirstMessage()
        let clientFinal = try client.receiveServerFirst(Array(Self.rfcServerFirst.utf8))
        #expect(Self.text(clientFinal) != Self.rfcClientFinal)
        let error = #expect(throws: PostgresWireError.self) {
            try client.receiveServerFinal(Array(Self.rfcServerFinal.utf8))
        }
        #expect(error?.code == .authenticationFailed)
        #expect(error.map { String(describing: $0).contains("pencil2") } == false)
    }

    @Test func serverErrorAttributeFails() throws {
        var client = Self.rfcClient()
        _ = client.clientFirstMessage()
        _ = try client.receiveServerFirst(Array(Self.rfcServerFirst.utf8))
        let error = #expect(throws: PostgresWireError.self) {
            try client.receiveServerFinal(Array("e=invalid-proof".utf8))
        }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.reason.contains("invalid-proof") == true)
    }

    @Test(arguments: [
        // Nonce that does not start with ours.
        "r=XXXXNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        // Nonce equal to ours: the server added nothing.
        "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        // Salt not base64.
        "r=rOprNGfwEbeRWgbNEkqOxyz,s=!!!notbase64,i=4096",
        // Empty salt.
        "r=rOprNGfwEbeRWgbNEkqOxyz,s=,i=4096",
        // Iteration counts out of bounds or not numbers.
        "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
        "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1",
        "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10000001",
        "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4k",
        "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=",
        // Missing or reordered attributes.
        "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==",
        "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqOxyz,i=4096",
        // Mandatory extension.
        "m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        // Malformed attributes.
        "",
        "garbage",
        "r=rOprNGfwEbeRWgbNEkqOxyz,,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    ])
    func malformedServerFirstThrows(message: String) {
        var client = Self.rfcClient()
        _ = client.clientFirstMessage()
        let error = #expect(throws: PostgresWireError.self) {
            _ = try client.receiveServerFirst(Array(message.utf8))
        }
        #expect(error?.code == .protocolViolation)
    }

    @Test func acceptsExtensionsAfterTheIterationCount() throws {
        var client = Self.rfcClient()
        _ = client.clientFirstMessage()
        // An unknown optional extension changes the AuthMessage, so the proof differs from the RFC's, but it is
        // accepted.
        let clientFinal = try client.receiveServerFirst(Array((Self.rfcServerFirst + ",x=ext").utf8))
        #expect(Self.text(clientFinal).hasPrefix("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p="))
    }

    @Test func invalidUTF8ServerFirstThrows() {
        var client = Self.rfcClient()
        _ = client.clientFirstMessage()
        #expect(throws: PostgresWireError.self) {
            _ = try client.receiveServerFirst(Array("r=rOprNGfwEbeRWgbNEkqOx".utf8) + [0xFF])
        }
    }

    @Test func outOfOrderMessagesThrow() throws {
        var fresh = Self.rfcClient()
        let early = #expect(throws: PostgresWireError.self) {
            _ = try fresh.receiveServerFirst(Array(Self.rfcServerFirst.utf8))
        }
        #expect(early?.code == .protocolViolation)

        var client = Self.rfcClient()
        _ = client.clientFirstMessage()
        #expect(throws: PostgresWireError.self) {
            try client.receiveServerFinal(Array(Self.rfcServerFinal.utf8))
        }
        _ = try client.receiveServerFirst(Array(Self.rfcServerFirst.utf8))
        #expect(throws: PostgresWireError.self) {
            _ = try client.receiveServerFirst(Array(Self.rfcServerFirst.utf8))
        }
        try client.receiveServerFinal(Array(Self.rfcServerFinal.utf8))
        // A finished exchange accepts nothing more.
        #expect(throws: PostgresWireError.self) {
            try client.receiveServerFinal(Array(Self.rfcServerFinal.utf8))
        }
    }

    @Test(arguments: ["", "x=1", "v=***notbase64", "v"])
    func malformedServerFinalThrows(message: String) throws {
        var client = Self.rfcClient()
        _ = client.clientFirstMessage()
        _ = try client.receiveServerFirst(Array(Self.rfcServerFirst.utf8))
        let error = #expect(throws: PostgresWireError.self) {
            try client.receiveServerFinal(Array(message.utf8))
        }
        #expect(error?.code == .protocolViolation)
    }

    @Test func printingNeverShowsThePassword() {
        let client = SCRAMSHA256Client(username: "user", password: "hunter2-secret", clientNonce: "abc")
        #expect(!String(describing: client).contains("hunter2"))
        #expect(!String(reflecting: client).contains("hunter2"))
        var dumped = ""
        dump(client, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }
}
