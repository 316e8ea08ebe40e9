import Testing
import WebServer

@Suite struct ClientIPTests {
    @Test(arguments: [
        ("127.0.0.1:34544", "127.0.0.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[::1]:8080", "::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("unix", "unix"),
    ])
    func clientIPDropsThePort(address: String, expected: String) {
        #expect(Request.clientIP(fromRemoteAddress: address) == expected)
    }
}
