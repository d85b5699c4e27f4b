namespace Autograd.Tests.Golden;

/// <summary>Where the golden vectors live: <c>$AUTOGRAD_GOLDEN</c>, else <c>&lt;repo root&gt;/../shared/golden</c>,
/// the repository root being the first ancestor of the test binaries that holds <c>Autograd.sln</c>.</summary>
internal static class GoldenDirectory
{
    public const string EnvironmentVariable = "AUTOGRAD_GOLDEN";

    public static string Path { get; } = Locate();

    /// <summary>Null when the directory exists, else a message saying where it was looked for.</summary>
    public static string? Problem => Directory.Exists(Path)
        ? null
        : $"golden directory not found at '{Path}' (set {EnvironmentVariable}, or put shared/golden beside the repository)";

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Autograd.sln")))
                return System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "golden"));
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(AppContext.BaseDirectory, "shared", "golden"));
    }
}
