import Foundation

/// Where the repository's files are, for tests that read fixtures and networks.
public enum FixturePaths {
  /// The package root (the folder holding Package.swift).
  public static let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  /// `Tests/Fixtures`.
  public static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
  /// `Graphs`, the committed networks.
  public static let graphs = packageRoot.appendingPathComponent("Graphs")
}
