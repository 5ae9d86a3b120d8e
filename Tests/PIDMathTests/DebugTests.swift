import PIDData
import PIDMath
import Testing
@Test func debugFile() throws {
  guard let path = environment("PB_DEBUG_FILE") else { return }
  debugSolver = true
  let joint = try TableFiles.readJoint(path)
  let pid = PartialInformationDecomposition(joint: joint)
  print("RESULT", pid.minimumInformation, pid.gap, pid.solution.newtonSteps)
}
