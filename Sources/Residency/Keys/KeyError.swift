/// Why a key operation failed, in words for an operator; never contains key material.
public enum KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No key-encryption key is configured for a region.
    case missingKEK(String)
    /// A configured key-encryption key is not 32 bytes of base64url.
    case malformedKEK(String)
    /// A data key is wrapped by a key-encryption key this keyring does not hold.
    case unknownKEK(id: String, region: String)
    /// The key-encryption key with the right id did not unwrap the data key (wrong key file, or a tampered row).
    case unwrapFailed(keyID: String, kekID: String)
    /// The region of a tenant has no keyring in this process.
    case noKeyring(region: String)

    /// A sentence for logs and error pages.
    public var description: String {
        switch self {
        case .missingKEK(let message), .malformedKEK(let message):
            message
        case .unknownKEK(let id, let region):
            "A data key is wrapped by key-encryption key \(id), which region \(region)'s keyring does not hold; "
                + "add that key (after the current one) to \(RegionKeyring.environmentName(for: region)) or the region's key file"
        case .unwrapFailed(let keyID, let kekID):
            "Data key \(keyID) could not be unwrapped with key-encryption key \(kekID): the configured key is not the one it was "
                + "wrapped with, or the stored key was altered"
        case .noKeyring(let region):
            "Region \(region) has no key-encryption key configured in this control plane"
        }
    }
}
