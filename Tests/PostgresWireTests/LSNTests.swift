import PostgresWire
import Testing

@Suite struct LSNTests {
    @Test(arguments: [
        ("0/0", UInt64(0)),
        ("16/B374D848", UInt64(0x16_B374_D848)),
        ("FFFFFFFF/FFFFFFFF", UInt64.max),
        ("0/1", UInt64(1)),
    ])
    func parsesAndPrints(text: String, value: UInt64) throws {
        let lsn = try #require(LSN(text))
        #expect(lsn.value == value)
        #expect(lsn.description == text)
    }

    @Test(arguments: ["", "0", "/0", "0/", "1/2/3", "G/0", "123456789/0", "0/ 1", "-1/0"])
    func rejectsMalformed(text: String) {
        #expect(LSN(text) == nil)
    }

    @Test func printsLowerCaseInputUpperCase() {
        #expect(LSN("a/b")?.description == "A/B")
    }

    @Test func ordersAndMeasuresDistance() throws {
        let a = try #require(LSN("0/100"))
        let b = try #require(LSN("1/0"))
        #expect(a < b)
        #expect(b.distance(from: a) == 0x1_0000_0000 - 0x100)
        #expect(a.distance(from: b) == -(0x1_0000_0000 - 0x100))
        #expect(a.advanced(by: 0x100) == LSN("0/200"))
    }
}
