import FalajCrypto
import Testing

@Suite struct Argon2idTests {
    @Test func hashVerifiesAndAWrongPasswordFails() async throws {
        let encoded = try await Argon2id.hash(password: "correct horse battery staple")
        #expect(try await Argon2id.verify(password: "correct horse battery staple", encoded: encoded))
        #expect(try await !Argon2id.verify(password: "correct horse battery stapler", encoded: encoded))
        #expect(try await !Argon2id.verify(password: "", encoded: encoded))
    }

    @Test func encodedStringRecordsTheOWASPParameters() async throws {
        let encoded = try await Argon2id.hash(password: "pässwörd")
        #expect(encoded.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(Argon2id.Parameters(encoded: encoded) == .owasp)
        #expect(!Argon2id.needsRehash(encoded))
        #expect(Argon2id.needsRehash(encoded, parameters: .init(memoryKiB: 47104, iterations: 1)))
    }

    @Test func sameSaltNeverRepeats() async throws {
        let first = try await Argon2id.hash(password: "same")
        let second = try await Argon2id.hash(password: "same")
        #expect(first != second)
    }

    @Test func verifiesTheReferenceImplementationsOutput() async throws {
        // Produced by the reference `argon2` CLI: echo -n password | argon2 somesalt -id -t 2 -k 65536 -p 1 -l 32
        let reference = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
        #expect(try await Argon2id.verify(password: "password", encoded: reference))
        #expect(try await !Argon2id.verify(password: "passwore", encoded: reference))
    }

    @Test func customParametersAreHonoured() async throws {
        let parameters = Argon2id.Parameters(memoryKiB: 1024, iterations: 1, parallelism: 2)
        let encoded = try await Argon2id.hash(password: "pw", parameters: parameters)
        #expect(encoded.hasPrefix("$argon2id$v=19$m=1024,t=1,p=2$"))
        #expect(try await Argon2id.verify(password: "pw", encoded: encoded))
    }

    @Test(arguments: [
        "", "not a hash", "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=19456,t=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=19456,t=2,p=1$c29t!XNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    ])
    func malformedEncodedHashIsRejected(encoded: String) async throws {
        let error = try await #require(throws: CryptoError.self) {
            try await Argon2id.verify(password: "password", encoded: encoded)
        }
        #expect(error.code == .malformedEncodedHash)
        #expect(String(describing: error) == "CryptoError(malformedEncodedHash)")
    }

    @Test func tamperedCostsBeyondTheMaximaAreRefusedBeforeHashing() async throws {
        let tampered = "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
        let error = try await #require(throws: CryptoError.self) {
            try await Argon2id.verify(password: "password", encoded: tampered)
        }
        #expect(error.code == .invalidParameters)
    }

    @Test func invalidParametersAreRefused() async throws {
        let error = try await #require(throws: CryptoError.self) {
            try await Argon2id.hash(password: "pw", parameters: .init(iterations: 0))
        }
        #expect(error.code == .invalidParameters)
    }
}
