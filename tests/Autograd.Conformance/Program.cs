namespace Autograd.Conformance;

/// <summary>
/// <c>dotnet run --project tests/Autograd.Conformance -- &lt;golden dir&gt;</c>: checks every case of a golden-autodiff/1
/// directory against the library; exit code 1 on any failure or a missing/empty directory.
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args) => Run(args, Console.Out);

    /// <summary>The command line, writing to <paramref name="output"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length != 1 || args[0] is "-h" or "--help")
        {
            output.WriteLine("usage: Autograd.Conformance <golden directory>");
            return args.Length == 1 ? 0 : 1;
        }
        return Runner.Run(args[0], output).ExitCode;
    }
}
