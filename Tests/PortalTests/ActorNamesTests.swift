import Foundation
import Testing

@testable import Portal

/// Recorded actors (`user:<id>`, `api_key:<id>`) are shown by member name, or described when unknown.
@Suite struct ActorNamesTests {
    @Test func recordedActorsBecomeNamesInWordsAndInSentences() {
        let id = "user:0f8fad5b-d9cb-469f-a165-70867728950e"
        let names = ActorNames(members: [id: "Layla"])
        #expect(names.name(id) == "Layla")
        #expect(names.name("user:7c9e6679-7425-40de-944b-e07fc1f90ae7") == "a former member")
        #expect(names.name("api_key:7c9e6679-7425-40de-944b-e07fc1f90ae7") == "an API key")
        #expect(names.name("system") == "the platform")
        #expect(names.describe("approved by \(id); requested by api_key:7c9e6679-7425-40de-944b-e07fc1f90ae7") == "approved by Layla; requested by an API key")
        #expect(names.describe("no actor here") == "no actor here")
    }
}
