import Testing

@testable import Learning

/// The A/B tests against values computed with SciPy 1.x (`stats.norm.sf`, `stats.ttest_ind_from_stats(equal_var=False)`,
/// `stats.t.ppf`, `stats.t.sf`) for the same inputs.
@Suite struct SignificanceTestsTests {
    @Test func twoProportionsMatchesTheNormalTest() throws {
        let result = try #require(SignificanceTests.twoProportions(successesA: 120, trialsA: 1000, successesB: 150, trialsB: 1000))
        #expect(abs(result.statistic - 1.963049807622355) < 1e-12)
        #expect(abs(result.pValue - 0.04964038686536878) < 1e-12 && result.isSignificant)
        #expect(abs(result.difference - 0.03) < 1e-15 && result.lower < 0.03 && result.upper > 0.03)
        #expect(SignificanceTests.twoProportions(successesA: 0, trialsA: 0, successesB: 1, trialsB: 2) == nil)
    }

    @Test func welchMatchesSciPy() throws {
        let result = try #require(SignificanceTests.welch(meanA: 10, varianceA: 2, countA: 30, meanB: 11, varianceB: 3, countB: 25))
        #expect(abs(result.statistic - 2.3145502494313788) < 1e-9)
        #expect(abs(result.pValue - 0.025128708572257498) < 1e-9)
        #expect(abs((result.degreesOfFreedom ?? 0) - 46.2583926754832) < 1e-9)
        let error = (2.0 / 30 + 3.0 / 25).squareRoot()
        #expect(abs((result.upper - 1) / error - 2.0125922244749703) < 1e-6, "the interval uses t's 97.5% quantile")
        #expect(abs(SignificanceTests.studentSurvival(2.1, degreesOfFreedom: 7.5) - 0.035618535729039044) < 1e-9)
        #expect(SignificanceTests.welch(meanA: 1, varianceA: 0, countA: 1, meanB: 2, varianceB: 0, countB: 5) == nil)
    }

    @Test func sampleSizeGrowsAsTheEffectShrinks() {
        let large = SignificanceTests.sampleSize(baseline: 0.10, effect: 0.05)
        let small = SignificanceTests.sampleSize(baseline: 0.10, effect: 0.01)
        #expect((680...690).contains(large), "\(large)")  // the textbook figure for 10% → 15% is about 683
        #expect(small > 10 * large)
        #expect((1..<1_000).contains(SignificanceTests.sampleSize(baseline: 1, effect: 0.05)), "a perfect baseline looks downwards, with a finite answer")
    }
}
