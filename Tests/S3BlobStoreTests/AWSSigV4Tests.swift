import FalajCrypto
import Foundation
import Residency
import Testing

@Suite("AWS Signature V4")
struct AWSSigV4Tests {
    /// The "GET Object" example of the S3 SigV4 header-authentication documentation
    /// (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html): GET /test.txt with a Range header.
    @Test("reproduces AWS's published GET /test.txt example signature")
    func awsPublishedExample() {
        let signer = AWSSigV4(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1"
        )
        let headers: [(name: String, value: String)] = [
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", AWSSigV4.emptyPayloadHash),
            ("x-amz-date", "20130524T000000Z"),
        ]
        let canonical = AWSSigV4.canonicalRequest(
            method: "GET", path: "/test.txt", query: [], headers: headers, payloadHash: AWSSigV4.emptyPayloadHash
        )
        #expect(canonical.signedHeaders == "host;range;x-amz-content-sha256;x-amz-date")
        #expect(SHA256.hexString(Array(canonical.text.utf8)) == "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        let authorization = signer.authorization(
            method: "GET", path: "/test.txt", query: [], headers: headers, payloadHash: AWSSigV4.emptyPayloadHash, amzDate: "20130524T000000Z"
        )
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test("encodes query names and values (slash included) and sorts them")
    func canonicalQuery() {
        let query = AWSSigV4.canonicalQuery([("prefix", "a/b c"), ("list-type", "2"), ("continuation-token", "x+y=")])
        #expect(query == "continuation-token=x%2By%3D&list-type=2&prefix=a%2Fb%20c")
        #expect(AWSSigV4.uriEncode("models/v1/~tmp é", isSlashEncoded: false) == "models/v1/~tmp%20%C3%A9")
    }

    @Test("formats x-amz-date in UTC")
    func amzDate() {
        #expect(AWSSigV4.amzDate(Date(timeIntervalSince1970: 1_369_353_600)) == "20130524T000000Z")
        #expect(AWSSigV4.amzDate(Date(timeIntervalSince1970: 951_827_696)) == "20000229T123456Z")
    }
}
