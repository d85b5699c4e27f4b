namespace Autograd.Tests;

/// <summary>Finds the repository root (the folder holding Autograd.sln) and the shared material beside it.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Autograd.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Autograd.sln above {AppContext.BaseDirectory}.");
    }
}
