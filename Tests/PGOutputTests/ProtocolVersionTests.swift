import PGOutput
import Testing

@Suite struct ProtocolVersionTests {
    @Test(arguments: [(13, 1), (14, 2), (15, 3), (16, 4), (18, 4)])
    func highestVersionPerServer(server: Int, expected: Int) {
        #expect(PGOutputProtocolVersion.highest(forServerMajorVersion: server).rawValue == expected)
    }
}
