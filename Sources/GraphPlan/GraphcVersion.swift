/// The version of graphc, in one place: `graphc --version` and `graphrun --version` print it,
/// their `--json` outputs carry it, and every plan records the compiler version that wrote it.
///
/// Semantic versioning (see README): the minor version grows with new features while below 1.0;
/// the plan file format has its own number (``PlanFormat/version``), bumped whenever its bytes change.
public enum GraphcVersion {
  /// The release this source tree is, e.g. `"0.1.0"`.
  public static let current = "0.1.0"
}
