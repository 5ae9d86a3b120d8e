import Testing
@testable import PIDMath

@Suite("Resampling statistics")
struct StatisticsTests {
  @Test("Normal quantile against reference values")
  func quantiles() {
    #expect(abs(standardNormalQuantile(0.975) - 1.959963984540054) < 1e-12)
    #expect(abs(standardNormalQuantile(0.025) + 1.959963984540054) < 1e-12)
    #expect(abs(standardNormalQuantile(0.5)) < 1e-15)
    #expect(abs(standardNormalQuantile(1e-10) + 6.361340902404056) < 1e-9)
    #expect(abs(standardNormalQuantile(0.3) + 0.5244005127080407) < 1e-12)
    #expect(standardNormalQuantile(0) == -.infinity)
    #expect(standardNormalQuantile(1) == .infinity)
  }

  @Test("BCa with no bias and no acceleration is the percentile interval")
  func bcaReducesToPercentile() throws {
    let replicates = (1...99).map(Double.init).reversed().map { $0 }
    let percentile = try #require(BootstrapInterval.percentile(replicates: replicates, confidence: 0.9))
    let bca = try #require(BootstrapInterval.bca(estimate: 50, replicates: replicates, acceleration: 0, confidence: 0.9))
    #expect(abs(bca.lower - percentile.lower) < 1e-9 && abs(bca.upper - percentile.upper) < 1e-9)
    #expect(abs(percentile.lower - 5.9) < 1e-12 && abs(percentile.upper - 94.1) < 1e-12)
  }

  @Test("BCa moves the levels by the median bias: Φ(2 z0 ± 1.96) with z0 = Φ⁻¹(300/1001)")
  func bcaBias() throws {
    // 1001 replicates spread evenly on [0, 1]; 300 lie below the estimate,
    // and the q-quantile of the replicates is q.
    let replicates = (0...1000).map { Double($0) / 1000 }
    let bca = try #require(BootstrapInterval.bca(estimate: 0.2995, replicates: replicates, acceleration: 0, confidence: 0.95))
    #expect(abs(bca.lower - 0.0013041355245395625) < 1e-9)
    #expect(abs(bca.upper - 0.818440680984198) < 1e-9)
    // Every replicate above the estimate: undefined.
    #expect(BootstrapInterval.bca(estimate: -1, replicates: replicates, acceleration: 0, confidence: 0.95) == nil)
  }

  @Test("Jackknife acceleration of a mean: Σ l³ / (6 (Σ l²)^(3/2)); samples that do not move add nothing")
  func acceleration() {
    // The mean of (0, 0, 0, 1): deleting a 0 gives 1/3, deleting the 1 gives 0.
    let sample = JackknifeSample(size: 4, values: [(1.0 / 3, 3), (0, 1)])
    let expected = 0.375 / (6 * 0.75 * 0.75.squareRoot())
    #expect(abs(jackknifeAcceleration([sample]) - expected) < 1e-12)
    let still = JackknifeSample(size: 10, values: [(0.25, 10)])
    #expect(abs(jackknifeAcceleration([sample, still]) - expected) < 1e-12)
    #expect(jackknifeAcceleration([still]) == 0)
  }

  @Test("Miller–Madow: the plug-in information plus the occupied-cell terms")
  func millerMadow() {
    let correction = 1 / (2 * 20 * naturalLogOf2)
    #expect(abs(millerMadowInformation(counts: Matrix([[10, 0], [0, 10]])) - (1 + correction)) < 1e-12)
    #expect(abs(millerMadowInformation(counts: Matrix([[5, 5], [5, 5]])) + correction) < 1e-12)
    #expect(millerMadowInformation(counts: Matrix([[0, 0], [0, 0]])) == 0)
  }

  @Test("Histogram: equal-width bins over the range, the maximum in the last bin, non-finite values left out")
  func histogram() {
    let h = Histogram([0, 0.1, 0.5, 0.99, 1, .nan, .infinity], bins: 4)
    #expect(h.lower == 0 && h.upper == 1)
    #expect(h.counts == [2, 0, 1, 2])
    #expect(Histogram([3, 3, 3], bins: 5).counts == [3, 0, 0, 0, 0])
    #expect(Histogram([], bins: 2).counts == [0, 0])
  }
}
