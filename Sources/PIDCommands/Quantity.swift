import PIDMath

/// A number that every bootstrap replicate, permutation and jackknife
/// deletion recomputes. The cases come in the order of a replicate's record
/// (so their count is the checkpoint's record width); the raw value is the
/// number's key path in the report (`bootstrap.<key>`, `corrected.<key>`,
/// `permutation.p_values.<key>`).
///
/// The list is explicit: adding a key to the report's `pid`, `bounds` or
/// `performance` block does not change what is resampled.
enum Quantity: String, CaseIterable {
  case redundancy = "pid.R", uniqueness1 = "pid.U1", uniqueness2 = "pid.U2"
  case minimumInformation = "pid.I_min", gap = "pid.gap_bits"
  case informationX1Y = "pid.I_x1y", informationX2Y = "pid.I_x2y"
  case redundancySimple = "bounds.S_R_simple", redundancyRelaxed = "bounds.S_R_relaxed", redundancySharp = "bounds.S_R_sharp"
  case paperDisagreement = "bounds.S_U_paper", disagreementL2 = "bounds.S_U_l2", disagreementBhattacharyya = "bounds.S_U_bc"
  case lower = "bounds.S_lower", upperPaper = "bounds.S_upper_paper", upper = "bounds.S_upper"
  case upperSharp = "bounds.S_upper_sharp", informationX1X2 = "bounds.I_x1x2", alpha = "bounds.alpha"
  case lowerClipped = "bounds.S_lower_clipped", upperMeet = "bounds.S_upper_meet", upperCap = "bounds.S_upper_cap"
  case upperInner = "bounds.S_upper_inner", polytopeDimension = "bounds.polytope_dimension"
  case redundancySharpGap = "bounds.S_R_sharp_gap_bits", maximumEntropyResidual = "bounds.ipf_residual"
  case renamedGap1 = "bounds.renamed_gap_bits.0", renamedGap2 = "bounds.renamed_gap_bits.1"
  case accuracyUnimodal1 = "performance.acc_unimodal_1", accuracyUnimodal2 = "performance.acc_unimodal_2"
  case accuracyLower = "performance.acc_lower", accuracyUpper = "performance.acc_upper"
  case accuracyUpperPaper = "performance.acc_upper_paper", accuracyEstimate = "performance.acc_estimate"
  case accuracyLowerUnclipped = "performance.acc_lower_unclipped", accuracyUpperUnclipped = "performance.acc_upper_unclipped"
  case validationRedundancy = "validation.R", validationUniqueness1 = "validation.U1", validationUniqueness2 = "validation.U2"
  case validationSynergy = "validation.S", validationTotal = "validation.I_x1x2y"

  /// The numbers of the pairwise analysis (every run).
  static let pairwise = allCases.filter { !$0.isValidation }
  /// The plug-in PID of DL (runs with a validation sample).
  static let validation = allCases.filter(\.isValidation)

  var isValidation: Bool { rawValue.hasPrefix("validation.") }
  /// An accuracy bound (`performance` block): intervals, no p-value.
  var isAccuracy: Bool { rawValue.hasPrefix("performance.") }

  /// Whether the number gets intervals and p-values in the report (the
  /// renamed-role solves' gaps are solver diagnostics only, reported in the
  /// point estimate).
  var isReported: Bool { self != .renamedGap1 && self != .renamedGap2 }

  /// The value in a pairwise analysis (NaN for validation numbers and for
  /// numbers the analysis does not have).
  func value(in a: Analysis) -> Double {
    let b = a.bounds, p = a.performance
    switch self {
    case .redundancy: return b.pid.redundancy
    case .uniqueness1: return b.pid.uniqueness1
    case .uniqueness2: return b.pid.uniqueness2
    case .minimumInformation: return b.pid.minimumInformation
    case .gap: return b.pid.gap
    case .informationX1Y: return b.pid.informationX1Y
    case .informationX2Y: return b.pid.informationX2Y
    case .redundancySimple: return b.redundancySimple
    case .redundancyRelaxed: return b.redundancyRelaxed
    case .redundancySharp: return b.redundancySharp
    case .paperDisagreement: return b.paperDisagreement
    case .disagreementL2: return b.disagreementL2
    case .disagreementBhattacharyya: return b.disagreementBhattacharyya
    case .lower: return b.lower
    case .upperPaper: return b.upperPaper
    case .upper: return b.upper
    case .upperSharp: return b.upperSharp ?? .nan
    case .informationX1X2: return b.informationX1X2
    case .alpha: return b.alpha
    case .lowerClipped: return b.lowerClipped
    case .upperMeet: return b.upperMeet
    case .upperCap: return b.upperCap
    case .upperInner: return b.upperInner ?? .nan
    case .polytopeDimension: return Double(b.polytopeDimension)
    case .redundancySharpGap: return b.redundancySharpGap
    case .maximumEntropyResidual: return b.maximumEntropyResidual
    case .renamedGap1: return b.renamedGaps.0
    case .renamedGap2: return b.renamedGaps.1
    case .accuracyUnimodal1: return p.unimodal1
    case .accuracyUnimodal2: return p.unimodal2
    case .accuracyLower: return p.lower
    case .accuracyUpper: return p.upper
    case .accuracyUpperPaper: return p.upperPaper ?? .nan
    case .accuracyEstimate: return p.estimate
    case .accuracyLowerUnclipped: return p.lowerUnclipped
    case .accuracyUpperUnclipped: return p.upperUnclipped
    case .validationRedundancy, .validationUniqueness1, .validationUniqueness2, .validationSynergy, .validationTotal:
      return .nan
    }
  }

  /// The value in DL's plug-in PID (NaN for pairwise numbers).
  func value(in pid: PartialInformationDecomposition) -> Double {
    switch self {
    case .validationRedundancy: return pid.redundancy
    case .validationUniqueness1: return pid.uniqueness1
    case .validationUniqueness2: return pid.uniqueness2
    case .validationSynergy: return pid.synergy ?? .nan
    case .validationTotal: return pid.informationX1X2Y ?? .nan
    default: return .nan
    }
  }
}

/// One number per quantity, in the order of `quantities`.
struct QuantityValues {
  var quantities: [Quantity]
  var values: [Double]

  subscript(_ q: Quantity) -> Double? {
    quantities.firstIndex(of: q).map { values[$0] }
  }
}
