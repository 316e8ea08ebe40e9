import Foundation
import Testing

@testable import WebServer

@Suite struct TLSSelfSignedCertificateTests {
    @Test func generatesAKeyReadableOnlyByItsOwnerAndACertificateForLocalhost() throws {
        let directory = try TLSTemporaryDirectory()
        let configuration = try SelfSignedCertificate.generate(directory: directory.path + "/nested/dev")
        #expect(configuration.certificatePath == directory.path + "/nested/dev/dev-cert.pem")
        #expect(configuration.privateKeyPath == directory.path + "/nested/dev/dev-key.pem")
        let keyAttributes = try FileManager.default.attributesOfItem(atPath: configuration.privateKeyPath)
        #expect((keyAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let certificate = try TLSCertificate.read(pemFile: configuration.certificatePath)
        let key = try TLSPrivateKey.read(pemFile: configuration.privateKeyPath)
        #expect(certificate.matches(key))
        #expect(certificate.matches(host: "localhost"))
        #expect(certificate.matches(host: "127.0.0.1"))
        #expect(!certificate.matches(host: "example.com"))
        #expect(certificate.isValid(forAnotherSeconds: 364 * 86_400))
        #expect(!certificate.isValid(forAnotherSeconds: 366 * 86_400))
        let pem = try String(contentsOfFile: configuration.privateKeyPath, encoding: .utf8)
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    @Test func reusesExistingFilesWhileTheyAreValid() throws {
        let directory = try TLSTemporaryDirectory()
        let first = try SelfSignedCertificate.generate(directory: directory.path)
        let before = try Data(contentsOf: URL(fileURLWithPath: first.certificatePath))
        let second = try SelfSignedCertificate.generate(directory: directory.path)
        #expect(second == first)
        #expect(try Data(contentsOf: URL(fileURLWithPath: second.certificatePath)) == before)
    }

    @Test func regeneratesForAnotherNameOrDamagedFiles() throws {
        let directory = try TLSTemporaryDirectory()
        let first = try SelfSignedCertificate.generate(directory: directory.path)
        let original = try Data(contentsOf: URL(fileURLWithPath: first.certificatePath))

        _ = try SelfSignedCertificate.generate(commonName: "falaj.test", directory: directory.path)
        let renamed = try TLSCertificate.read(pemFile: first.certificatePath)
        #expect(renamed.matches(host: "falaj.test"))
        #expect(renamed.matches(host: "localhost"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: first.certificatePath)) != original)

        try Data("damaged".utf8).write(to: URL(fileURLWithPath: first.privateKeyPath))
        let repaired = try SelfSignedCertificate.generate(directory: directory.path)
        #expect(throws: Never.self) { try TLSContext(configuration: repaired) }
    }
}
