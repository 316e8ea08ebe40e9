import Foundation
import Testing
import WebServer

@Suite struct TLSContextTests {
    @Test func missingCertificateFileIsNamedInTheError() throws {
        let contexts = try TLSTestContexts()
        let configuration = TLSConfiguration(
            certificatePath: "/nonexistent/falaj/cert.pem",
            privateKeyPath: contexts.configuration.privateKeyPath
        )
        let error = try #require(throws: TLSError.self) { try TLSContext(configuration: configuration) }
        #expect(error.code == .cannotReadCertificate)
        #expect(error.description.hasPrefix("cannot read TLS certificate /nonexistent/falaj/cert.pem: "), "\(error)")
        #expect(error.description.contains("No such file or directory"), "\(error)")
        #expect(String(reflecting: error).contains("TLSContext.swift"))
    }

    @Test func missingKeyFileIsNamedInTheError() throws {
        let contexts = try TLSTestContexts()
        let configuration = TLSConfiguration(
            certificatePath: contexts.configuration.certificatePath,
            privateKeyPath: contexts.directory.file("missing-key.pem")
        )
        let error = try #require(throws: TLSError.self) { try TLSContext(configuration: configuration) }
        #expect(error.code == .cannotReadPrivateKey)
        #expect(error.description.hasPrefix("cannot read TLS private key \(configuration.privateKeyPath): "), "\(error)")
    }

    @Test func fileWithoutPEMIsRefused() throws {
        let contexts = try TLSTestContexts()
        let garbage = contexts.directory.file("garbage.pem")
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let asCertificate = TLSConfiguration(certificatePath: garbage, privateKeyPath: contexts.configuration.privateKeyPath)
        let certificateError = try #require(throws: TLSError.self) { try TLSContext(configuration: asCertificate) }
        #expect(certificateError.code == .cannotReadCertificate)
        #expect(certificateError.description.contains(garbage))

        let asKey = TLSConfiguration(certificatePath: contexts.configuration.certificatePath, privateKeyPath: garbage)
        let keyError = try #require(throws: TLSError.self) { try TLSContext(configuration: asKey) }
        #expect(keyError.code == .cannotReadPrivateKey)
    }

    @Test func mismatchedCertificateAndKeyAreRefused() throws {
        let first = try TLSTestContexts()
        let second = try TLSTestContexts()
        let configuration = TLSConfiguration(
            certificatePath: first.configuration.certificatePath,
            privateKeyPath: second.configuration.privateKeyPath
        )
        let error = try #require(throws: TLSError.self) { try TLSContext(configuration: configuration) }
        #expect(error.code == .privateKeyDoesNotMatchCertificate)
        #expect(
            error.description
                == "TLS private key \(configuration.privateKeyPath) does not match certificate \(configuration.certificatePath)"
        )
    }

    @Test func invalidCipherListIsRefused() throws {
        let contexts = try TLSTestContexts()
        var configuration = contexts.configuration
        configuration.tls12CipherList = "NOT-A-CIPHER"
        let error = try #require(throws: TLSError.self) { try TLSContext(configuration: configuration) }
        #expect(error.code == .openSSLSetupFailed)
    }

    @Test func missingTrustedCAFileIsNamedInTheError() throws {
        let error = try #require(throws: TLSError.self) { try TLSContext.makeClient(trustingCAFile: "/nonexistent/ca.pem") }
        #expect(error.code == .cannotReadTrustedCertificates)
        #expect(error.description.hasPrefix("cannot read trusted certificates /nonexistent/ca.pem"))
    }

    @Test func systemTrustStoreClientCanBeCreated() throws {
        let client = try TLSContext.makeClient(trustingCAFile: nil)
        #expect(!client.isServer)
    }
}
