namespace Autograd.Tests.Golden;

/// <summary>Where the golden vectors live: <c>$AUTOGRAD_GOLDEN</c>, else <c>&lt;repo root&gt;/../shared/golden</c>,
/// the repository root being <see cref="RepoPaths.Root"/>.</summary>
internal static class GoldenDirectory
{
    public const string EnvironmentVariable = "AUTOGRAD_GOLDEN";

    public static string Path { get; } = Locate();

    /// <summary>Null when the directory exists, else a message saying where it was looked for.</summary>
    public static string? Problem => Directory.Exists(Path)
        ? null
        : $"golden directory not found at '{Path}' (set {EnvironmentVariable}, or put shared/golden beside the repository)";

    private static string Locate() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv
            ? fromEnv
            : System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoPaths.Root, "..", "shared", "golden"));
}
