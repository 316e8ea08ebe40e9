import Testing
import WebServer

@Suite struct TLSSessionTests {
    @Test func handshakeCompletesOverNonBlockingSocketsWithTLS13() throws {
        let contexts = try TLSTestContexts()
        let connection = try TLSTestConnection(server: contexts.server, client: contexts.client)
        #expect(connection.server.protocolVersion == nil)
        let (server, client) = connection.handshake()
        #expect(server == .complete)
        #expect(client == .complete)
        #expect(connection.server.protocolVersion == "TLSv1.3")
        #expect(connection.client.protocolVersion == "TLSv1.3")
        #expect(connection.server.cipherSuite?.hasPrefix("TLS_") == true)
    }

    @Test func tls12ClientGetsAnECDHEAEADCipher() throws {
        let contexts = try TLSTestContexts()
        let client = try TLSContext.makeClient(
            trustingCAFile: contexts.configuration.certificatePath,
            maximumProtocolVersion: .tls1_2
        )
        let connection = try TLSTestConnection(server: contexts.server, client: client)
        let (server, clientStatus) = connection.handshake()
        #expect(server == .complete && clientStatus == .complete)
        #expect(connection.server.protocolVersion == "TLSv1.2")
        let cipher = try #require(connection.server.cipherSuite)
        #expect(cipher.hasPrefix("ECDHE-ECDSA-") && (cipher.contains("GCM") || cipher.contains("CHACHA20")), "\(cipher)")
    }

    @Test func exchangesDataBothWays() throws {
        let contexts = try TLSTestContexts()
        let connection = try TLSTestConnection(server: contexts.server, client: contexts.client)
        #expect(connection.handshake() == (.complete, .complete))

        let request = Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        let sent = TLSTestConnection.transfer(request, from: connection.client, to: connection.server)
        #expect(sent.received == request)

        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        let back = TLSTestConnection.transfer(response, from: connection.server, to: connection.client)
        #expect(back.received == response)
    }

    @Test func transfersOneMegabyteEachWayWithPartialWrites() throws {
        let contexts = try TLSTestContexts()
        let connection = try TLSTestConnection(server: contexts.server, client: contexts.client, sendBufferBytes: 65_536)
        #expect(connection.handshake() == (.complete, .complete))
        let payload = (0..<1_048_576).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 13) }

        let download = TLSTestConnection.transfer(payload, from: connection.server, to: connection.client)
        #expect(download.received.count == payload.count)
        #expect(download.received == payload)
        #expect(download.partialWrites > 0)
        #expect(download.wantWrites > 0)

        let upload = TLSTestConnection.transfer(payload, from: connection.client, to: connection.server)
        #expect(upload.received == payload)
    }

    @Test func emptyWriteTouchesNothing() throws {
        let contexts = try TLSTestContexts()
        let connection = try TLSTestConnection(server: contexts.server, client: contexts.client)
        #expect(connection.handshake() == (.complete, .complete))
        #expect(connection.server.write(UnsafeRawBufferPointer(start: nil, count: 0)) == .bytes(0))
        #expect(TLSTestConnection.readAvailable(connection.client).1 == .wantRead)
    }

    @Test func bufferedPlaintextIsReportedUntilDrained() throws {
        let contexts = try TLSTestContexts()
        let connection = try TLSTestConnection(server: contexts.server, client: contexts.client)
        #expect(connection.handshake() == (.complete, .complete))
        let message = [UInt8](repeating: 0x61, count: 1000)
        #expect(message.withUnsafeBytes { connection.server.write($0) } == .bytes(1000))

        var small = [UInt8](repeating: 0, count: 100)
        #expect(small.withUnsafeMutableBytes { connection.client.read(into: $0) } == .bytes(100))
        #expect(connection.client.hasBufferedPlaintext)
        let (rest, result) = TLSTestConnection.readAvailable(connection.client)
        #expect(rest.count == 900)
        #expect(result == .wantRead)
        #expect(!connection.client.hasBufferedPlaintext)
    }

    @Test func closeNotifyIsReportedAsClosed() throws {
        let contexts = try TLSTestContexts()
        let connection = try TLSTestConnection(server: contexts.server, client: contexts.client)
        #expect(connection.handshake() == (.complete, .complete))
        #expect(connection.client.shutdown() == .complete)
        #expect(TLSTestConnection.readAvailable(connection.server).1 == .closed)
        #expect(connection.server.shutdown() == .complete)
    }

    @Test func eofWithoutCloseNotifyIsReportedAsClosed() throws {
        let contexts = try TLSTestContexts()
        let connection = try TLSTestConnection(server: contexts.server, client: contexts.client)
        #expect(connection.handshake() == (.complete, .complete))
        connection.sockets.closeClient()
        #expect(TLSTestConnection.readAvailable(connection.server).1 == .closed)
        #expect(connection.server.shutdown() == .closed)
    }

    @Test func resetAndBrokenPipeAreReportedAsClosed() throws {
        let contexts = try TLSTestContexts()
        let connection = try TLSTestConnection(server: contexts.server, client: contexts.client)
        #expect(connection.handshake() == (.complete, .complete))
        let unread = [UInt8](repeating: 1, count: 100)
        #expect(unread.withUnsafeBytes { connection.server.write($0) } == .bytes(100))
        // Closing a unix socket with unread data makes the peer's next read fail with ECONNRESET.
        connection.sockets.closeClient()
        #expect(TLSTestConnection.readAvailable(connection.server).1 == .closed)

        let other = try TLSTestConnection(server: contexts.server, client: contexts.client)
        #expect(other.handshake() == (.complete, .complete))
        other.sockets.closeClient()
        #expect(unread.withUnsafeBytes { other.server.write($0) } == .closed)
    }

    @Test func tls11ClientIsRefused() throws {
        let contexts = try TLSTestContexts()
        let legacy = try TLSContext.makeClient(
            trustingCAFile: contexts.configuration.certificatePath,
            maximumProtocolVersion: .tls1_1
        )
        let connection = try TLSTestConnection(server: contexts.server, client: legacy)
        let (server, client) = connection.handshake()
        #expect(server.failureReason.contains("unsupported protocol"), "\(server)")
        #expect(client.failureReason != "", "\(client)")
        #expect(connection.server.protocolVersion == nil)
    }

    @Test func clientThatDoesNotTrustTheCertificateFailsVerification() throws {
        let contexts = try TLSTestContexts()
        let stranger = try TLSTestContexts()
        let connection = try TLSTestConnection(server: contexts.server, client: stranger.client)
        let (server, client) = connection.handshake()
        #expect(client.failureReason.contains("certificate verify failed"), "\(client)")
        #expect(client.failureReason.contains("self-signed certificate"), "\(client)")
        #expect(server.failureReason != "", "\(server)")
        // The failed session stays failed and does not try to send close_notify.
        #expect(connection.client.handshake() == .failed(reason: "the TLS session already failed"))
        #expect(connection.client.shutdown() == .closed)
    }

    @Test func clientRejectsACertificateForAnotherHost() throws {
        let contexts = try TLSTestContexts()
        let connection = try TLSTestConnection(server: contexts.server, client: contexts.client, serverName: "falaj.example")
        let (_, client) = connection.handshake()
        #expect(client.failureReason.contains("hostname mismatch"), "\(client)")
    }

    @Test func oneConnectionsFailureDoesNotLeakIntoTheNext() throws {
        let contexts = try TLSTestContexts()
        let stranger = try TLSTestContexts()
        let failing = try TLSTestConnection(server: contexts.server, client: stranger.client)
        #expect(failing.handshake().client.failureReason != "")
        let healthy = try TLSTestConnection(server: contexts.server, client: contexts.client)
        #expect(healthy.handshake() == (.complete, .complete))
        let bytes = Array("still fine".utf8)
        #expect(TLSTestConnection.transfer(bytes, from: healthy.client, to: healthy.server).received == bytes)
    }

    @Test func roleMustMatchTheContext() throws {
        let contexts = try TLSTestContexts()
        let sockets = try TLSSocketPair()
        #expect(throws: TLSError.self) { try TLSSession(context: contexts.client, fileDescriptor: sockets.server, role: .server) }
        #expect(throws: TLSError.self) {
            try TLSSession(context: contexts.server, fileDescriptor: sockets.client, role: .client(serverName: nil))
        }
    }
}
